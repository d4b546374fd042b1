/**
 * One balancer per destination. Envoy's router chooses the upstream cluster after this filter ran,
 * so at request time the filter cannot key its state by cluster; it keys it by the request's
 * `:authority` instead: Envoy routes by it to a virtual host, and in a mesh each service has its
 * own host name. Requests to "orders" and "catalog" thus learn and pick from separate endpoint
 * tables, and the endpoints of one never end up in the other's header. Two spellings of one
 * service ("orders", "orders.shop.svc.cluster.local:8080") get two balancers; both work.
 *
 * With a static `endpoints` list the operator has named the one destination: every request uses
 * the same balancer, whatever its authority.
 *
 * Bounded: at most MAX_DESTINATIONS balancers per worker. A new authority beyond that replaces the
 * least recently used one, so a client sending many Host values (inbound) cannot pin memory or
 * lock real destinations out; a replaced destination simply starts learning again.
 */
import { AdaptiveBalancer } from "./lib/balancer";
import { AdaptiveLbConfig } from "./lib/config";

export const MAX_DESTINATIONS: i32 = 32;

/**
 * Endpoints are only learned from the responses Envoy reports, and once the filter picks every
 * request Envoy serves only endpoints it already knows: a scaled-up cluster would stay unseen.
 * So one request in EXPLORE_EVERY is left to Envoy's fallback policy while the balancer knows
 * fewer endpoints than the cluster has (`upstream.num_endpoints`), or always if Envoy does not
 * report the cluster size. The cost is bounded: 1/16 of requests balanced like the fallback.
 */
export const EXPLORE_EVERY: u32 = 16;

export class Destination {
  /** Host count of the routed cluster as Envoy last reported it; −1 = not reported. */
  clusterSize: i64 = -1;
  lastUsedNs: i64 = 0;
  private requests: u32 = 0;
  private servedSinceSizeRead: u32 = 0;

  constructor(
    public key: string,
    public balancer: AdaptiveBalancer,
  ) {}

  /** True when this request should be left to Envoy's fallback to discover endpoints. */
  shouldExplore(): bool {
    this.requests++;
    if (this.requests % EXPLORE_EVERY != 0) return false;
    return this.clusterSize < 0 || <i64>this.balancer.table.size() < this.clusterSize;
  }

  /**
   * True when the settle of a served request should read `upstream.num_endpoints` (a property
   * read is one of the dearer host calls): on every one while Envoy has not reported a size, then
   * on every EXPLORE_EVERY-th. The size only feeds `shouldExplore`, which looks at it once per
   * EXPLORE_EVERY requests, so a change of the cluster is seen at most EXPLORE_EVERY served
   * requests late (a scale-up is explored that much later, a scale-down explores that much longer).
   */
  clusterSizeDue(): bool {
    if (this.clusterSize < 0) return true;
    this.servedSinceSizeRead++;
    if (this.servedSinceSizeRead < EXPLORE_EVERY) return false;
    this.servedSinceSizeRead = 0;
    return true;
  }
}

export class Destinations {
  private byKey: Map<string, Destination> = new Map<string, Destination>();
  private keys: Array<string> = new Array<string>();
  /** Set when the config lists static endpoints: one destination for all requests. */
  single: Destination | null = null;
  replaced: i64 = 0;
  /** The authority of the last lookup and its destination: most requests repeat it, and the glue
   *  hands the same string back when the bytes are equal, so a reference compare skips the map. */
  lastKey: string | null = null;
  private lastDestination: Destination | null = null;

  constructor(
    private config: AdaptiveLbConfig,
    nowNs: i64,
  ) {
    if (config.endpoints.length > 0) this.single = new Destination("", new AdaptiveBalancer(config, nowNs));
  }

  /** The destination of a request to `authority`, created (or replacing the LRU one) if new. */
  lookup(authority: string, nowNs: i64): Destination {
    const single = this.single;
    if (single !== null) return single;
    let d: Destination;
    const last = this.lastDestination;
    if (last !== null && changetype<usize>(authority) == changetype<usize>(this.lastKey)) {
      d = last;
    } else if (this.byKey.has(authority)) {
      d = this.byKey.get(authority);
    } else {
      if (this.keys.length >= MAX_DESTINATIONS) this.replaceOldest();
      d = new Destination(authority, new AdaptiveBalancer(this.config, nowNs));
      this.byKey.set(authority, d);
      this.keys.push(authority);
    }
    this.lastKey = authority;
    this.lastDestination = d;
    if (nowNs > d.lastUsedNs) d.lastUsedNs = nowNs;
    return d;
  }

  count(): i32 {
    return this.single !== null ? 1 : this.keys.length;
  }

  private replaceOldest(): void {
    let oldest = 0;
    for (let i = 1; i < this.keys.length; i++) {
      if (this.byKey.get(this.keys[i]).lastUsedNs < this.byKey.get(this.keys[oldest]).lastUsedNs) oldest = i;
    }
    this.byKey.delete(this.keys[oldest]);
    this.lastKey = null;
    this.lastDestination = null;
    this.keys[oldest] = this.keys[this.keys.length - 1];
    this.keys.pop();
    this.replaced++;
  }
}
