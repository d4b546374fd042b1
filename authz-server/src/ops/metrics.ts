// Prometheus metrics (prom-client) on a registry of our own, so several servers can live in one
// test process. Labels use the coded reasons of errors.ts, never free text.
//
// The alerting rules (manifests/prometheus/meshward-rules.yaml) need states, not only events: when
// the bundle and the JWKS were last loaded and last failed to load (seconds since the epoch, 0 =
// never), how often the bundle is polled, whether the server is ready, and when the cached signing
// keys expire. Timestamps come from the `nowMs` clock the server runs on. With several workers
// (cluster/) a scrape sums their registries, so every state gauge names how its workers combine:
// the server is ready, and its bundle as fresh, as its least ready and stalest worker; failures and
// JWKS successes count from the most recent one; keys expire with the earliest.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { type CheckRecord, meshwardOf } from "../check/check-record.ts";
import type { BundleStatus } from "../policy/active-policy.ts";

const RISK_LEVEL_LABELS = new Set(["low", "medium", "high", "critical"]);
const EVENT_TYPE_LABELS = new Set(["session-revoked", "credential-change", "risk-level-change"]);
const CAEP_PREFIX = "https://schemas.openid.net/secevent/caep/event-type/";

export class AuthzMetrics {
  readonly registry = new Registry();
  private isReady: () => boolean = () => false;

  /** An unlabelled gauge of this registry; `aggregator` combines the workers' values. */
  private stateGauge(name: string, help: string, aggregator: "min" | "max"): Gauge {
    return new Gauge({ name, help, aggregator, registers: [this.registry] });
  }

  private readonly checks = new Counter({
    name: "meshward_authz_checks_total",
    help: "Checks answered, by result (allow|deny), reason (policy or an MW_* code) and dry_run.",
    labelNames: ["result", "reason", "dry_run"] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "meshward_authz_check_duration_seconds",
    help: "Time from receiving a check to its decision, seconds.",
    labelNames: ["result"] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "meshward_authz_errors_total",
    help: "Failures by MW_* code (checks, bundle loads, JWKS fetches).",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  private readonly bundleActive = new Gauge({
    name: "meshward_authz_bundle_active",
    help: "1 when a policy bundle is active.",
    aggregator: "min", // several workers (cluster/): 1 only if every one has a bundle
    registers: [this.registry],
  });
  private readonly bundleInfo = new Gauge({
    name: "meshward_authz_bundle_info",
    help: "The active bundle's revision and source (value 1).",
    labelNames: ["revision", "source"] as const,
    aggregator: "max",
    registers: [this.registry],
  });
  private readonly ready = new Gauge({
    name: "meshward_authz_ready",
    help: "1 while the server answers /readyz with 200 (a verified policy bundle is active), else 0.",
    aggregator: "min",
    registers: [this.registry],
    collect: () => {
      this.ready.set(this.isReady() ? 1 : 0);
    },
  });
  private readonly bundleLastSuccess = this.stateGauge(
    "meshward_authz_bundle_last_success_timestamp_seconds",
    "When a bundle load last succeeded (activated, or the source confirmed the active bundle), seconds since the epoch; 0 = never.",
    "min",
  );
  private readonly bundleLastFailure = this.stateGauge(
    "meshward_authz_bundle_last_failure_timestamp_seconds",
    "When a bundle load last failed (fetch, verification or activation), seconds since the epoch; 0 = never.",
    "max",
  );
  private readonly bundlePollInterval = this.stateGauge(
    "meshward_authz_bundle_poll_interval_seconds",
    "Configured interval between bundle loads (bundle.pollIntervalMs), seconds; 0 = loaded once.",
    "max",
  );
  private readonly bundleLoads = new Counter({
    name: "meshward_authz_bundle_loads_total",
    help: "Bundle activation attempts by result (ok|error|unchanged) and reason.",
    labelNames: ["result", "reason"] as const,
    registers: [this.registry],
  });
  private readonly jwksFetches = new Counter({
    name: "meshward_authz_jwks_fetches_total",
    help: "JWKS fetches by result (ok|error) and trigger (refresh|unknown_kid).",
    labelNames: ["result", "trigger"] as const,
    registers: [this.registry],
  });

  private readonly jwksLastSuccess = this.stateGauge(
    "meshward_authz_jwks_last_success_timestamp_seconds",
    "When a JWKS fetch last succeeded, seconds since the epoch; 0 = never.",
    "max",
  );
  private readonly jwksLastFailure = this.stateGauge(
    "meshward_authz_jwks_last_failure_timestamp_seconds",
    "When a JWKS fetch last failed (the cached keys stay in use), seconds since the epoch; 0 = never.",
    "max",
  );
  private readonly jwksKeysExpiry = this.stateGauge(
    "meshward_authz_jwks_keys_expiry_timestamp_seconds",
    "Earliest end of validity of the certificates (x5c) of the cached JWKS keys, seconds since the epoch; +Inf when no cached key carries one.",
    "min",
  );

  private readonly riskLevels = new Counter({
    name: "meshward_authz_risk_assessments_total",
    help: "Checks scored by the risk engine, by level (low|medium|high|critical).",
    labelNames: ["level"] as const,
    registers: [this.registry],
  });
  private readonly riskOutcomes = new Counter({
    name: "meshward_authz_risk_outcomes_total",
    help: "Outcomes fed back to the risk engine, by kind (auth-failed|denied).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  private readonly securityEvents = new Counter({
    name: "meshward_authz_security_events_total",
    help: "Admin security events by type and result (accepted|invalid|unauthorized|error).",
    labelNames: ["type", "result"] as const,
    registers: [this.registry],
  });
  private readonly broadcasts = new Counter({
    name: "meshward_authz_risk_broadcasts_total",
    help: "Risk state mirrored from Redis pub/sub into local state, by kind (event|failure) and result (applied|invalid).",
    labelNames: ["kind", "result"] as const,
    registers: [this.registry],
  });
  /** Registered on the first mode report, which only a server with Redis makes: without Redis the
   *  state is local by design and a 0 would read as degraded. */
  private riskStoreShared: Gauge | undefined;
  private readonly riskStoreFallbacks = new Counter({
    name: "meshward_authz_risk_store_fallbacks_total",
    help: "Risk store operations served locally because Redis was unavailable, by operation.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });

  constructor(private readonly nowMs: () => number = Date.now) {
    this.jwksKeysExpiry.set(Number.POSITIVE_INFINITY);
  }

  /** Checks and their request bytes being decided now (transport/admission.ts), read on scrape. */
  inFlight(read: () => { checks: number; bytes: number }): void {
    new Gauge({
      name: "meshward_authz_checks_in_flight",
      help: "Checks being decided now (admission control caps them: check.maxInFlight).",
      registers: [this.registry],
      collect() {
        this.set(read().checks);
      },
    });
    new Gauge({
      name: "meshward_authz_check_bytes_in_flight",
      help: "Request bytes of the checks being decided now (capped by check.maxBytesInFlight).",
      registers: [this.registry],
      collect() {
        this.set(read().bytes);
      },
    });
  }

  /** A check refused by admission control: a deny with reason MW_OVERLOADED (in dry-run too). */
  overloaded(dryRun: boolean): void {
    this.checks.inc({ result: "deny", reason: "MW_OVERLOADED", dry_run: String(dryRun) });
    this.errors.inc({ code: "MW_OVERLOADED" });
  }

  observeCheck = (record: CheckRecord): void => {
    const result = record.allowed ? "allow" : "deny";
    this.checks.inc({ result, reason: record.errorCode ?? "policy", dry_run: String(record.dryRun) });
    const level = (meshwardOf(record) as { risk?: { level?: unknown } } | undefined)?.risk?.level;
    if (typeof level === "string" && RISK_LEVEL_LABELS.has(level)) this.riskLevels.inc({ level });
    this.duration.observe({ result }, record.durationMs / 1000);
    if (record.errorCode) this.errors.inc({ code: record.errorCode });
  };

  /** `isReady` is read at every scrape. */
  reportReadiness(isReady: () => boolean): void {
    this.isReady = isReady;
  }

  bundlePolling(pollIntervalMs: number): void {
    this.bundlePollInterval.set(pollIntervalMs / 1000);
  }

  /** One load attempt's outcome: `unchanged` (the source confirmed the active bundle) is a success. */
  bundleStatus(status: BundleStatus, outcome: "ok" | "error" | "unchanged", reason = "none"): void {
    this.bundleLoads.inc({ result: outcome, reason });
    if (outcome === "error") this.errors.inc({ code: reason });
    (outcome === "error" ? this.bundleLastFailure : this.bundleLastSuccess).set(this.nowMs() / 1000);
    this.bundleActive.set(status.active ? 1 : 0);
    if (outcome === "ok") {
      this.bundleInfo.reset();
      this.bundleInfo.set({ revision: status.revision ?? "", source: status.source ?? "" }, 1);
    }
  }

  /** `keysExpireAtMs`: after a successful fetch, the earliest certificate expiry among the keys
   *  (undefined when none carries a certificate). */
  jwksFetch(result: "ok" | "error", trigger: "refresh" | "unknown_kid", keysExpireAtMs?: number): void {
    this.jwksFetches.inc({ result, trigger });
    const now = this.nowMs() / 1000;
    if (result === "error") {
      this.errors.inc({ code: "MW_JWKS_FETCH" });
      this.jwksLastFailure.set(now);
      return;
    }
    this.jwksLastSuccess.set(now);
    this.jwksKeysExpiry.set(keysExpireAtMs === undefined ? Number.POSITIVE_INFINITY : keysExpireAtMs / 1000);
  }

  riskOutcome(kind: "auth-failed" | "denied"): void {
    this.riskOutcomes.inc({ kind });
  }

  /** `type` is the body's event_type; anything but the three known types is counted as `other`. */
  securityEvent(type: string, result: "accepted" | "invalid" | "unauthorized" | "error"): void {
    const short = type.startsWith(CAEP_PREFIX) ? type.slice(CAEP_PREFIX.length) : type;
    this.securityEvents.inc({ type: EVENT_TYPE_LABELS.has(short) ? short : "other", result });
  }

  riskBroadcast(kind: "event" | "failure", result: "applied" | "invalid"): void {
    this.broadcasts.inc({ kind, result });
  }

  riskStoreMode(mode: "shared" | "local"): void {
    this.riskStoreShared ??= new Gauge({
      name: "meshward_authz_risk_store_shared",
      help: "1 while risk state is shared on Redis, 0 while served from local memory (degraded). Only with Redis configured.",
      aggregator: "min",
      registers: [this.registry],
    });
    this.riskStoreShared.set(mode === "shared" ? 1 : 0);
  }

  riskStoreFallback(operation: string): void {
    this.riskStoreFallbacks.inc({ operation });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
