// Test/simulator entry for the pure filter modules: thin exported wrappers, compiled by
// test/algorithms/build.ts into build/test/algorithms.wasm (+ raw bindings). Times cross the
// boundary as f64 nanoseconds (exact below 2^53 ns ≈ 104 days) to keep the JS side free of
// BigInt; handles index module-level arrays. No host imports: nothing here touches proxy-wasm.

import { AdaptiveBalancer } from "../../../filters/adaptive-lb/lib/balancer";
import { AdaptiveLbConfig, parseAdaptiveLbConfig } from "../../../filters/adaptive-lb/lib/config";
import { classifyOutcome as classify, Outcome } from "../../../filters/adaptive-lb/lib/outcome";
import { ejectionDurationNs, maxEjectable as maxEject, OutlierPolicy } from "../../../filters/adaptive-lb/lib/outlier";
import { distinctPair, LoadView, pickP2c } from "../../../filters/adaptive-lb/lib/p2c";
import { loadCost as cost, PeakEwma } from "../../../filters/adaptive-lb/lib/peak-ewma";
import { slowStartWeight as slowStart } from "../../../filters/adaptive-lb/lib/slow-start";
import { TrendTracker, trendPolicyOf } from "../../../filters/adaptive-lb/lib/trend";
import { parseIp, stripPort as strip } from "../../../filters/lib/ip";
import { parseJson } from "../../../filters/lib/json";
import { Rng } from "../../../filters/lib/prng";
import { deadlineNs, elapsedNs } from "../../../filters/lib/time";
import { parseCidr } from "../../../filters/traffic-shaper/lib/cidr";
import { GradientLimiter } from "../../../filters/traffic-shaper/lib/concurrency-limiter";
import { parseTrafficShaperConfig, TrafficShaperConfig } from "../../../filters/traffic-shaper/lib/config";
import { DescriptorTable } from "../../../filters/traffic-shaper/lib/descriptor";
import { globMatch as glob } from "../../../filters/traffic-shaper/lib/glob";
import {
  admitByPriority as admitPriority,
  classify as classifyPriority,
} from "../../../filters/traffic-shaper/lib/priority";
import {
  rateLimitPolicyValue,
  rateLimitValue,
  retryAfterValue,
} from "../../../filters/traffic-shaper/lib/ratelimit-headers";
import { parseRiskScore, pathOnly, RequestAttributes } from "../../../filters/traffic-shaper/lib/request";
import { matchRules } from "../../../filters/traffic-shaper/lib/rules";
import {
  BucketState,
  decodeBucket,
  encodeBucket,
  isIdleFull,
  TakeResult,
  takeTokens,
} from "../../../filters/traffic-shaper/lib/token-bucket";

let lastError = "";
export function getLastError(): string {
  return lastError;
}

// ---- filters/lib
export function jsonError(text: string): string {
  return parseJson(text).error;
}
let rng = new Rng(1);
export function rngSeed(seed: u64): void {
  rng = new Rng(seed);
}
export function rngNextU64(): u64 {
  return rng.nextU64();
}
export function rngFloat(): f64 {
  return rng.nextFloat();
}
export function rngBelow(bound: i32): i32 {
  return rng.below(bound);
}
export function elapsed(nowNs: i64, thenNs: i64): i64 {
  return elapsedNs(nowNs, thenNs);
}
export function deadline(atNs: i64, durationNs: i64): i64 {
  return deadlineNs(atNs, durationNs);
}

// ---- adaptive-lb: estimators
const ewmas: PeakEwma[] = [];
export function ewmaNew(defaultRttNs: f64, decayNs: f64, peak: f64, nowNs: f64): i32 {
  ewmas.push(new PeakEwma(defaultRttNs, decayNs, peak, <i64>nowNs));
  return ewmas.length - 1;
}
export function ewmaObserve(h: i32, rttNs: f64, nowNs: f64): bool {
  return ewmas[h].observe(rttNs, <i64>nowNs);
}
export function ewmaCostAt(h: i32, nowNs: f64): f64 {
  return ewmas[h].costAt(<i64>nowNs);
}
export function loadCost(rttNs: f64, pending: i32, weight: f64): f64 {
  return cost(rttNs, pending, weight);
}
export function classifyOutcome(status: i32, flags: u32): i32 {
  return <i32>classify(status, <u64>flags);
}
export function ejectionDuration(streak: i32, baseNs: f64, maxNs: f64): f64 {
  const p = new OutlierPolicy();
  p.baseEjectionNs = <i64>baseNs;
  p.maxEjectionNs = <i64>maxNs;
  return <f64>ejectionDurationNs(streak, p);
}
export function maxEjectable(known: i32, pct: f64): i32 {
  return maxEject(known, pct);
}
export function slowStartWeight(nowNs: f64, joinedNs: f64, windowNs: f64, aggression: f64, minWeight: f64): f64 {
  return slowStart(<i64>nowNs, <i64>joinedNs, <i64>windowNs, aggression, minWeight);
}
const trendPolicy = trendPolicyOf(new AdaptiveLbConfig());
const trends: TrendTracker[] = [];
export function trendNew(): i32 {
  trends.push(new TrendTracker());
  return trends.length - 1;
}
export function trendObserve(h: i32, rttNs: f64, failed: bool, nowNs: f64): void {
  trends[h].observe(rttNs, failed, <i64>nowNs, trendPolicy);
}
export function trendScore(h: i32, nowNs: f64): f64 {
  return trends[h].score(trendPolicy, <i64>nowNs);
}
export function trendWeight(h: i32, nowNs: f64): f64 {
  return trends[h].weight(trendPolicy, <i64>nowNs);
}

// ---- adaptive-lb: picker
class ArrayLoads extends LoadView {
  loads: Array<f64> = [] as f64[];
  size(): i32 {
    return this.loads.length;
  }
  load(i: i32): f64 {
    return this.loads[i];
  }
}
const p2cLoads = new ArrayLoads();
export function p2cClear(): void {
  p2cLoads.loads.length = 0;
}
export function p2cPush(load: f64): void {
  p2cLoads.loads.push(load);
}
export function p2cPick(): i32 {
  return pickP2c(p2cLoads, rng);
}
/** Packed pair as a*65536+b (n < 65536). */
export function p2cPair(n: i32): i32 {
  const pair = distinctPair(n, rng);
  return <i32>(pair >> 32) * 65536 + <i32>(pair & 0xffffffff);
}

// ---- adaptive-lb: balancer
const balancers: AdaptiveBalancer[] = [];
const lbRngs: Rng[] = [];
export function lbCreate(configJson: string, nowNs: f64, seed: u64): i32 {
  const r = parseAdaptiveLbConfig(configJson);
  if (r.config === null) {
    lastError = r.error;
    return -1;
  }
  balancers.push(new AdaptiveBalancer(r.config!, <i64>nowNs));
  lbRngs.push(new Rng(seed));
  return balancers.length - 1;
}
export function lbLearn(h: i32, address: string, nowNs: f64): i32 {
  return balancers[h].learn(address, <i64>nowNs);
}
export function lbFind(h: i32, address: string): i32 {
  return balancers[h].table.find(address);
}
export function lbPick(h: i32, nowNs: f64): i32 {
  return balancers[h].pick(<i64>nowNs, lbRngs[h]);
}
export function lbPicked(h: i32, i: i32): i32 {
  return balancers[h].picked[i];
}
export function lbHeader(h: i32): string {
  return balancers[h].headerValue();
}
export function lbStart(h: i32, slot: i32): void {
  balancers[h].onStart(slot);
}
export function lbComplete(h: i32, slot: i32, rttNs: f64, outcome: i32, nowNs: f64): void {
  balancers[h].onComplete(slot, rttNs, <Outcome>outcome, <i64>nowNs);
}
export function lbCost(h: i32, slot: i32, nowNs: f64): f64 {
  return balancers[h].costOf(slot, <i64>nowNs);
}
export function lbTrend(h: i32, slot: i32, nowNs: f64): f64 {
  return balancers[h].trendScore(slot, <i64>nowNs);
}
export function lbEjected(h: i32, slot: i32): bool {
  const e = balancers[h].table.at(slot);
  return e !== null && e.outlier.ejected;
}
export function lbPending(h: i32, slot: i32): i32 {
  const e = balancers[h].table.at(slot);
  return e === null ? -1 : e.pending;
}
export function lbSize(h: i32): i32 {
  return balancers[h].table.size();
}
export function lbStat(h: i32, name: string): f64 {
  const b = balancers[h];
  if (name == "picks") return <f64>b.picks;
  if (name == "fallbacks") return <f64>b.fallbacks;
  if (name == "ejections") return <f64>b.ejections;
  if (name == "refused") return <f64>b.table.refused;
  if (name == "evicted") return <f64>b.table.evicted;
  if (name == "expired") return <f64>b.table.expired;
  return -1;
}
/** Parses and re-serialises; "ERR " + message on error. */
export function lbConfigRoundTrip(text: string): string {
  const r = parseAdaptiveLbConfig(text);
  return r.config === null ? "ERR " + r.error : r.config!.toJson();
}

// ---- traffic-shaper
export function tsConfigRoundTrip(text: string): string {
  const r = parseTrafficShaperConfig(text);
  return r.config === null ? "ERR " + r.error : r.config!.toJson();
}
let bucket = new BucketState();
let take = new TakeResult();
export function bucketSet(tokens: f64, lastNs: f64): void {
  bucket.tokens = tokens;
  bucket.lastNs = <i64>lastNs;
}
export function bucketSetLastNsI64(lastNs: i64): void {
  bucket.lastNs = lastNs;
}
export function bucketTake(nowNs: f64, cost: f64, burst: f64, refillPerNs: f64): bool {
  take = takeTokens(bucket, <i64>nowNs, cost, burst, refillPerNs);
  return take.allowed;
}
export function bucketTakeI64(nowNs: i64, cost: f64, burst: f64, refillPerNs: f64): bool {
  take = takeTokens(bucket, nowNs, cost, burst, refillPerNs);
  return take.allowed;
}
export function bucketTokens(): f64 {
  return bucket.tokens;
}
export function bucketLastNs(): f64 {
  return <f64>bucket.lastNs;
}
export function takeRemaining(): f64 {
  return take.remaining;
}
export function takeRetryAfterNs(): f64 {
  return <f64>take.retryAfterNs;
}
export function takeResetNs(): f64 {
  return <f64>take.resetNs;
}
export function bucketIdleFull(nowNs: f64, burst: f64, refillPerNs: f64): bool {
  return isIdleFull(bucket, <i64>nowNs, burst, refillPerNs);
}
export function bucketEncode(): ArrayBuffer {
  return encodeBucket(bucket);
}
/** Decodes into the current bucket; returns "" (ok), "empty", or the error. */
export function bucketDecode(bytes: ArrayBuffer): string {
  const r = decodeBucket(bytes);
  if (r.empty) return "empty";
  if (r.state !== null) bucket = r.state!;
  return r.error;
}
export function globMatch(pattern: string, s: string): bool {
  return glob(pattern, s);
}
/** 1 match, 0 no match, −1 bad CIDR, −2 bad IP. */
export function cidrContains(cidr: string, ip: string): i32 {
  const c = parseCidr(cidr);
  if (c === null) return -1;
  const a = parseIp(ip);
  if (a === null) return -2;
  return c.contains(a) ? 1 : 0;
}
export function stripPort(address: string): string {
  return strip(address);
}
export function policyHeader(name: string, quota: i64, windowSeconds: i64): string {
  return rateLimitPolicyValue(name, quota, windowSeconds);
}
export function rateLimitHeader(name: string, remaining: f64, resetNs: i64): string {
  return rateLimitValue(name, remaining, resetNs);
}
export function retryAfter(ns: i64): string {
  return retryAfterValue(ns);
}

const limiters: GradientLimiter[] = [];
const limiterRngs: Rng[] = [];
export function limiterCreate(shaperConfigJson: string, nowNs: f64, seed: u64): i32 {
  const r = parseTrafficShaperConfig(shaperConfigJson);
  if (r.config === null) {
    lastError = r.error;
    return -1;
  }
  limiters.push(new GradientLimiter(r.config!.concurrency.toGradientPolicy(), <i64>nowNs));
  limiterRngs.push(new Rng(seed));
  return limiters.length - 1;
}
export function limiterSample(h: i32, rttNs: f64, nowNs: f64): void {
  limiters[h].onSample(rttNs, <i64>nowNs, limiterRngs[h]);
}
export function limiterTick(h: i32, nowNs: f64): bool {
  return limiters[h].tick(<i64>nowNs);
}
export function limiterUpdate(h: i32, sampleRttNs: f64): void {
  limiters[h].update(sampleRttNs);
}
export function limiterLimit(h: i32): i32 {
  return limiters[h].currentLimit();
}
export function limiterRaw(h: i32, name: string): f64 {
  const l = limiters[h];
  if (name == "limit") return l.limit;
  if (name == "minRtt") return l.minRttNs;
  if (name == "phase") return <f64>l.phase;
  if (name == "gradient") return l.lastGradient;
  if (name == "nextProbe") return <f64>l.nextProbeNs;
  if (name == "updates") return <f64>l.updates;
  return -1;
}

const shapers: TrafficShaperConfig[] = [];
const tables: DescriptorTable[] = [];
export function shaperCreate(configJson: string): i32 {
  const r = parseTrafficShaperConfig(configJson);
  if (r.config === null) {
    lastError = r.error;
    return -1;
  }
  const c = r.config!;
  shapers.push(c);
  tables.push(new DescriptorTable(c.maxDescriptorKeys, <i64>c.descriptorIdleMs * 1_000_000));
  return shapers.length - 1;
}
let req = new RequestAttributes();
export function requestReset(method: string, path: string, authority: string, source: string): void {
  req = new RequestAttributes();
  req.method = method;
  req.path = pathOnly(path);
  req.authority = authority.toLowerCase(); // as the glue does, once per request
  req.sourceText = strip(source);
  req.sourceIp = source.length > 0 ? parseIp(req.sourceText) : null;
}
export function requestIdentity(subject: string, riskLevel: string, riskScore: i32): void {
  req.subject = subject;
  req.riskLevel = riskLevel;
  req.riskScore = riskScore;
}
export function riskScore(text: string): i32 {
  return parseRiskScore(text);
}
export function requestHeader(name: string, value: string): void {
  req.addHeader(name, value);
}
/** Matching rules as "ruleName=key" joined by "\n" (key separator shown as '|', overflow as '#'). */
export function shaperMatch(h: i32, nowNs: f64): string {
  const c = shapers[h];
  const hits = matchRules(c.rules, req, tables[h], <i64>nowNs);
  const out: string[] = [];
  for (let i = 0; i < hits.length; i++) {
    out.push(c.rules[hits[i].rule].name + "=" + hits[i].key.replaceAll("\u001f", "|").replaceAll("\u0000", "#"));
  }
  return out.join("\n");
}
export function shaperClassify(h: i32): i32 {
  return classifyPriority(shapers[h].priorities, req);
}
export function shaperTableSize(h: i32): i32 {
  return tables[h].size();
}
export function shaperOverflowed(h: i32): f64 {
  return <f64>tables[h].overflowed;
}
export function shaperScans(h: i32): f64 {
  return <f64>tables[h].scans;
}
/** Evicted keys drained from the table, joined by "\n" (separator shown as '|'). */
export function shaperTakeEvicted(h: i32): string {
  return tables[h].takeEvicted().join("\n").replaceAll("\u001f", "|");
}
export function admitByPriority(inFlight: i32, limit: i32, share: f64): bool {
  return admitPriority(inFlight, limit, share);
}
