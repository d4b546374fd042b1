// One snapshot of everything the live page draws, from the sources it reads: the authz server's own
// Prometheus metrics, Envoy's admin `/stats/prometheus` and `/clusters`, the sandbox's control API
// state, the sandbox Prometheus's alerts and rule health (prometheus-api.ts), and the recent
// decisions. Counters are cumulative; the page turns them into rates by
// differencing successive snapshots. A source that is missing gives nulls, never an error. Pure.
//
// Filter metric names as Envoy exposes them on /stats/prometheus (docs/host-quirks.md: no `envoy_`
// prefix, `.` → `_`): adaptive-lb `meshward_adaptive_lb_{picks,fallbacks,explorations,ejections}`
// and per endpoint `meshward_adaptive_lb_endpoint_<address>_{pending,rtt_us}`; traffic-shaper
// `meshward_traffic_shaper_rule_<rule>_{allowed,limited,shadow_limited}`,
// `meshward_traffic_shaper_class_<class>_{admitted,shed}`, `…_in_flight`, `…_concurrency_limit`.
import type { RecentDecision } from "./decision-feed.ts";
import type { PrometheusView } from "./prometheus-api.ts";
import { histogramQuantile, type Sample, sumBy, sumOf } from "./prometheus-text.ts";

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

/** What the page needs from the sandbox control API's /state (scripts/sandbox/control-api.ts). */
export interface SandboxView {
  envoyAdminUrl: string;
  /** The sandbox's Prometheus; empty when it runs without one. */
  prometheusUrl?: string;
  /** How much faster than in production its alert rules run. */
  alertTimeScale?: number;
  filters: { name: string; loaded: boolean; note: string }[];
  endpoints: { name: string; address: string; mode: string; requests: number }[];
  traffic: { running: boolean; ratePerSecond: number; sent: number; answers: Record<string, number> };
}

export interface EndpointView {
  address: string;
  name?: string;
  mode?: string;
  /** Envoy's per-host counters from /clusters. */
  requests: number;
  errors: number;
  active: number;
  healthy: boolean;
  /** adaptive-lb's estimate for this endpoint, when the filter reports one. */
  rttUs?: number;
}

export interface Snapshot {
  atMs: number;
  sources: { envoy: string; sandbox: string; prometheus: string };
  decisions: { allow: number; deny: number; byReason: Record<string, number> };
  latencyMs: { p50?: number; p99?: number; count: number };
  risk: Record<(typeof RISK_LEVELS)[number], number>;
  endpoints: EndpointView[];
  adaptiveLb: { picks: number; fallbacks: number; explorations: number; ejections: number } | null;
  trafficShaper: {
    rules: { name: string; allowed: number; limited: number; shadowLimited: number }[];
    classes: { name: string; admitted: number; shed: number }[];
    inFlight: number;
    concurrencyLimit: number;
  } | null;
  filters: SandboxView["filters"];
  traffic: SandboxView["traffic"] | null;
  /** With the time scale its rules run at (descriptions name production durations). */
  prometheus: (PrometheusView & { timeScale: number }) | null;
  recent: RecentDecision[];
}

export interface SnapshotSources {
  atMs: number;
  authz: Sample[];
  /** Undefined when Envoy's admin is not configured or did not answer (`envoyState` says which). */
  envoy?: Sample[];
  clusters?: string;
  envoyState: string;
  sandbox?: SandboxView;
  sandboxState: string;
  /** Undefined when the sandbox runs no Prometheus or it did not answer (`prometheusState`). */
  prometheus?: PrometheusView;
  prometheusState: string;
  recent: RecentDecision[];
  /** The Envoy cluster whose endpoints are shown. */
  cluster: string;
}

/** "127.0.0.1:8080" as the adaptive-lb filter puts it in a stat name: every other character → `_`. */
export function metricSafeAddress(address: string): string {
  return address.replace(/[[\]]/g, "").replace(/[^A-Za-z0-9]/g, "_");
}

/** Per-host counters of `cluster` from Envoy's /clusters text (`cluster::host:port::stat::value`). */
export function clusterHosts(text: string, cluster: string): Map<string, Record<string, string>> {
  const hosts = new Map<string, Record<string, string>>();
  for (const line of text.split("\n")) {
    const parts = line.split("::");
    if (parts.length !== 4 || parts[0] !== cluster || !/:\d+$/.test(parts[1] as string)) continue;
    const host = parts[1] as string;
    const stats = hosts.get(host) ?? {};
    stats[parts[2] as string] = parts[3] as string;
    hosts.set(host, stats);
  }
  return hosts;
}

function endpoints(s: SnapshotSources): EndpointView[] {
  const hosts = s.clusters ? clusterHosts(s.clusters, s.cluster) : new Map<string, Record<string, string>>();
  const addresses = new Set([...hosts.keys(), ...(s.sandbox?.endpoints.map((e) => e.address) ?? [])]);
  const label = (address: string) => s.sandbox?.endpoints.find((e) => e.address === address)?.name ?? address;
  return [...addresses]
    .sort((a, b) => label(a).localeCompare(label(b)))
    .map((address) => {
      const stats = hosts.get(address) ?? {};
      const known = s.sandbox?.endpoints.find((e) => e.address === address);
      const view: EndpointView = {
        address,
        requests: Number(stats.rq_total ?? 0),
        errors: Number(stats.rq_error ?? 0),
        active: Number(stats.rq_active ?? 0),
        healthy: (stats.health_flags ?? "healthy") === "healthy",
      };
      if (known) {
        view.name = known.name;
        view.mode = known.mode;
      }
      const rtt = s.envoy?.find((m) => m.name === `meshward_adaptive_lb_endpoint_${metricSafeAddress(address)}_rtt_us`);
      if (rtt) view.rttUs = rtt.value;
      return view;
    });
}

function adaptiveLb(envoy: Sample[]): Snapshot["adaptiveLb"] {
  if (!envoy.some((m) => m.name.startsWith("meshward_adaptive_lb_"))) return null;
  const c = (name: string) => sumOf(envoy, `meshward_adaptive_lb_${name}`);
  return { picks: c("picks"), fallbacks: c("fallbacks"), explorations: c("explorations"), ejections: c("ejections") };
}

function trafficShaper(envoy: Sample[]): Snapshot["trafficShaper"] {
  if (!envoy.some((m) => m.name.startsWith("meshward_traffic_shaper_"))) return null;
  const rules = new Map<string, { name: string; allowed: number; limited: number; shadowLimited: number }>();
  const classes = new Map<string, { name: string; admitted: number; shed: number }>();
  for (const m of envoy) {
    const rule = /^meshward_traffic_shaper_rule_(.+?)_(shadow_limited|allowed|limited)$/.exec(m.name);
    if (rule) {
      const name = rule[1] as string;
      const r = rules.get(name) ?? { name, allowed: 0, limited: 0, shadowLimited: 0 };
      if (rule[2] === "allowed") r.allowed += m.value;
      else if (rule[2] === "limited") r.limited += m.value;
      else r.shadowLimited += m.value;
      rules.set(name, r);
    }
    const cls = /^meshward_traffic_shaper_class_(.+?)_(admitted|shed)$/.exec(m.name);
    if (cls) {
      const name = cls[1] as string;
      const k = classes.get(name) ?? { name, admitted: 0, shed: 0 };
      if (cls[2] === "admitted") k.admitted += m.value;
      else k.shed += m.value;
      classes.set(name, k);
    }
  }
  return {
    rules: [...rules.values()],
    classes: [...classes.values()],
    inFlight: sumOf(envoy, "meshward_traffic_shaper_in_flight"),
    concurrencyLimit: sumOf(envoy, "meshward_traffic_shaper_concurrency_limit"),
  };
}

const toMs = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

export function buildSnapshot(s: SnapshotSources): Snapshot {
  const checks = "meshward_authz_checks_total";
  const byLevel = sumBy(s.authz, "meshward_authz_risk_assessments_total", "level");
  const latency: Snapshot["latencyMs"] = {
    count: sumOf(s.authz, "meshward_authz_check_duration_seconds_count"),
  };
  const p50 = toMs(histogramQuantile(s.authz, "meshward_authz_check_duration_seconds", 0.5));
  const p99 = toMs(histogramQuantile(s.authz, "meshward_authz_check_duration_seconds", 0.99));
  if (p50 !== undefined) latency.p50 = p50;
  if (p99 !== undefined) latency.p99 = p99;
  return {
    atMs: s.atMs,
    sources: { envoy: s.envoyState, sandbox: s.sandboxState, prometheus: s.prometheusState },
    decisions: {
      allow: sumOf(s.authz, checks, { result: "allow" }),
      deny: sumOf(s.authz, checks, { result: "deny" }),
      byReason: sumBy(s.authz, checks, "reason"),
    },
    latencyMs: latency,
    risk: {
      low: byLevel.low ?? 0,
      medium: byLevel.medium ?? 0,
      high: byLevel.high ?? 0,
      critical: byLevel.critical ?? 0,
    },
    endpoints: endpoints(s),
    adaptiveLb: s.envoy ? adaptiveLb(s.envoy) : null,
    trafficShaper: s.envoy ? trafficShaper(s.envoy) : null,
    filters: s.sandbox?.filters ?? [],
    traffic: s.sandbox?.traffic ?? null,
    prometheus: s.prometheus ? { ...s.prometheus, timeScale: s.sandbox?.alertTimeScale ?? 1 } : null,
    recent: s.recent,
  };
}
