// Entry of the traffic-shaper filter: strict pluginConfig in on_configure, then per request
// rate limits (token buckets shared by all workers), the adaptive concurrency limit and priority
// shedding. Design and field table: filters/traffic-shaper/README.md.
import {
  BUILD_SOURCE_DIGEST,
  currentTimeNanos,
  HeadersStatus,
  HttpContext,
  logError,
  logInfo,
  MESHWARD_VERSION,
  RootContext,
  setRootContextFactory,
  setTickPeriod,
} from "../sdk";
import { Rng } from "../lib/prng";
import { ConcurrencyGate } from "./concurrency-gate";
import { parseTrafficShaperConfig, TrafficShaperConfig } from "./lib/config";
import { RateDecision, RateLimits } from "./rate-limits";
import { RequestAttributes } from "./lib/request";
import { AttributeNeeds, readRequest } from "./read-request";
import { addAllowedHeaders, sendRateLimited, sendShed } from "./replies";
import { ShaperMetrics } from "./shaper-metrics";

// Headers, log, delete and tick only (sdk/exports-headers.ts): a stream's slot is released on
// on_log, with on_delete as the backstop.
export * from "../sdk/exports-headers";

const FILTER_NAME = "traffic-shaper";
/** Timer that closes idle sample windows and refreshes the limit gauge. */
const TICK_MS: u32 = 1000;

class ShaperRoot extends RootContext {
  config: TrafficShaperConfig = new TrafficShaperConfig();
  needs: AttributeNeeds = new AttributeNeeds(new TrafficShaperConfig());
  rateLimits: RateLimits | null = null;
  gate: ConcurrencyGate | null = null;
  /** The request being decided, reused (read-request.ts). */
  request: RequestAttributes = new RequestAttributes();

  onVmStart(_vmConfiguration: ArrayBuffer): bool {
    logInfo("meshward " + FILTER_NAME + " " + MESHWARD_VERSION + " " + BUILD_SOURCE_DIGEST);
    return true;
  }

  onConfigure(pluginConfiguration: ArrayBuffer): bool {
    const parsed = parseTrafficShaperConfig(String.UTF8.decode(pluginConfiguration));
    const c = parsed.config;
    if (c === null) {
      logError(FILTER_NAME + ": invalid pluginConfig: " + parsed.error);
      return false;
    }
    this.config = c;
    this.needs = new AttributeNeeds(c);
    const metrics = new ShaperMetrics(c);
    const limits = new RateLimits(c, metrics);
    limits.seedGlobalBuckets();
    this.rateLimits = limits;
    const nowNs = <i64>currentTimeNanos();
    if (c.concurrency.enabled) {
      const gate = new ConcurrencyGate(c, metrics, nowNs, new Rng(<u64>nowNs ^ ((<u64>this.contextId) << 32)));
      gate.seed();
      this.gate = gate;
      setTickPeriod(TICK_MS);
    } else this.gate = null;
    logInfo(
      FILTER_NAME +
        ": configured " +
        c.rules.length.toString() +
        " rule(s), concurrency " +
        (c.concurrency.enabled ? "on" : "off") +
        ", " +
        c.priorities.length.toString() +
        " priority class(es)",
    );
    return true;
  }

  onTick(): void {
    const gate = this.gate;
    if (gate !== null) gate.tick(<i64>currentTimeNanos());
  }

  newHttpContext(contextId: u32): HttpContext {
    return new ShaperStream(contextId, this);
  }
}

class ShaperStream extends HttpContext {
  private shaper: ShaperRoot;
  private allowed: RateDecision | null = null;

  constructor(contextId: u32, root: ShaperRoot) {
    super(contextId, root);
    this.shaper = root;
  }

  onRequestHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    const s = this.shaper;
    const limits = s.rateLimits;
    // Nothing to decide (no rules, concurrency off): no clock read, no attributes, no host call.
    if (limits === null || (s.config.rules.length == 0 && s.gate === null)) return HeadersStatus.Continue;
    const nowNs = <i64>currentTimeNanos();
    const req = readRequest(s.config, s.needs, s.request);
    const d = limits.decide(req, nowNs);
    if (d.limited) {
      sendRateLimited(s.config, s.config.rules[d.rule], d.result, !d.failedClosed);
      return HeadersStatus.StopIteration;
    }
    if (d.rule >= 0) this.allowed = d;
    const gate = s.gate;
    if (gate !== null) {
      const reason = gate.admit(this.contextId, req, nowNs);
      if (reason.length > 0) {
        sendShed(s.config, reason);
        return HeadersStatus.StopIteration;
      }
    }
    return HeadersStatus.Continue;
  }

  onResponseHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    const s = this.shaper;
    const gate = s.gate;
    if (gate !== null) gate.responded(this.contextId, <i64>currentTimeNanos());
    const d = this.allowed;
    if (d !== null && s.config.rateLimitHeaders == "all") addAllowedHeaders(s.config.rules[d.rule], d.result);
    return HeadersStatus.Continue;
  }

  // Envoy's HTTP order is log → done → delete; the spec's done → log → delete. A reset or a local
  // reply still ends here. on_done is not exported (above): the gate releases the stream's slot on
  // the first of on_log and on_delete.
  onLog(): void {
    this.finish();
  }

  onDelete(): void {
    this.finish();
  }

  private finish(): void {
    const gate = this.shaper.gate;
    if (gate !== null) gate.finished(this.contextId);
  }
}

setRootContextFactory((contextId: u32): RootContext => new ShaperRoot(contextId));
