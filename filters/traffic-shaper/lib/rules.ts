/**
 * Rate-limit rules: which requests a rule applies to, which bucket (descriptor) they draw from,
 * and that bucket's parameters. The buckets themselves live in proxy shared data (glue); this
 * module decides *which* buckets a request must take a token from.
 */
import { NS_PER_SEC } from "../../lib/time";
import { Descriptor, DescriptorTable } from "./descriptor";
import { RequestAttributes } from "./request";
import { RequestMatch } from "./request-match";

export class RateLimitRule {
  name: string = "";
  match: RequestMatch = new RequestMatch();
  descriptor: Descriptor = new Descriptor(0, "");
  /** Tokens added per `unitSeconds`. */
  rate: f64 = 1;
  unitSeconds: i64 = 1;
  /** Bucket capacity (and initial content). */
  burst: f64 = 1;
  /** Count but do not enforce. */
  shadow: bool = false;

  /** Refill speed in tokens per ns: rate / (unit · 1e9). */
  refillPerNs(): f64 {
    return this.rate / (<f64>this.unitSeconds * <f64>NS_PER_SEC);
  }
}

/** One rule a request falls under, with the shared-data key of its bucket. */
export class RuleHit {
  constructor(
    public rule: i32,
    public key: string,
  ) {}
}

/**
 * Every rule matching `req`, in config order, with its bucket key resolved through `table`
 * (bounded cardinality). A request must be admitted by all enforced rules it hits. The hits go
 * into `hits` (emptied first), so a caller deciding request after request can reuse one array.
 */
export function matchRules(
  rules: Array<RateLimitRule>,
  req: RequestAttributes,
  table: DescriptorTable,
  nowNs: i64,
  hits: Array<RuleHit> = new Array<RuleHit>(),
): Array<RuleHit> {
  hits.length = 0;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (!r.match.matches(req)) continue;
    hits.push(new RuleHit(i, table.resolve(r.name, r.descriptor.valueOf(req), nowNs)));
  }
  return hits;
}
