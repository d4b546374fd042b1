/**
 * Glue: token buckets in proxy shared data, so every Envoy worker draws from the same bucket.
 *
 * Protocol (proxy-wasm shared data: a compare-and-swap on a version per key): get (value, cas) →
 * `takeTokens` on the decoded copy → set(value, cas); on CasMismatch re-read and retry, at most
 * `casRetries` attempts. A worker that loses the race recomputes from the winner's state, so no
 * token is taken twice and none is lost.
 *
 * Envoy quirk: a MISSING key ignores the cas (no atomic create-if-absent). Two workers that both
 * see a brand-new key both write, and one decision is overwritten: a new key can admit up to
 * (workers − 1) extra requests once in its life. Keys are never deleted (ABI 0.2.1 has no delete);
 * eviction writes the empty value ("full bucket") with CAS, so a re-used key stays CAS-protected.
 * `seed` writes the empty value for keys known at configure time (global descriptors), which closes
 * the race for them before any traffic.
 *
 * Failure (retries exhausted, corrupt value, host error) returns `Outcome.failed`; the caller applies
 * `failureMode` (deny | allow | local). `local` keeps per-worker buckets with the same parameters.
 */
import {
  casUpdate,
  casUpdateInPlace,
  getSharedData,
  lastStatus,
  setSharedData,
  SharedUpdate,
  SharedUpdateInPlace,
  WasmResult,
} from "../sdk";
import {
  BUCKET_BYTES,
  BucketState,
  decodeBucket,
  decodeBucketAt,
  encodeBucketAt,
  isIdleFull,
  newBucket,
  takeTokens,
  TakeResult,
} from "./lib/token-bucket";

/** Prefix of every shared-data key this filter writes (shared data is scoped by vm_id only). */
export const KEY_PREFIX = "meshward.ts\u001f";

export class BucketOutcome {
  /** Shared data failed; `result` is meaningless. */
  failed: bool = false;
  /** Why it failed (for the log). */
  error: string = "";
  result: TakeResult = new TakeResult();
}

/** One take on the bucket, decoded where the host put it into one reused state and encoded
 *  into the SDK's scratch (every request runs this: no allocation but the decision). Declines (no
 *  write) when the stored bytes are corrupt. */
class TakeUpdate extends SharedUpdateInPlace {
  result: TakeResult = new TakeResult();
  error: string = "";
  nowNs: i64 = 0;
  cost: f64 = 1;
  burst: f64 = 1;
  refillPerNs: f64 = 0;
  private state: BucketState = new BucketState();

  apply(found: bool, current: usize, size: usize, out: usize, capacity: usize): i32 {
    const state = this.state;
    if (!found || size == 0) {
      // Missing or cleared: a full bucket (newBucket).
      state.tokens = this.burst;
      state.lastNs = this.nowNs;
    } else {
      const error = decodeBucketAt(current, size, state);
      if (error.length > 0) {
        this.error = error;
        return -1;
      }
    }
    if (capacity < <usize>BUCKET_BYTES) return -1;
    this.result = takeTokens(state, this.nowNs, this.cost, this.burst, this.refillPerNs);
    encodeBucketAt(state, out);
    return BUCKET_BYTES;
  }
}

const KEY_CAPACITY: i32 = 1024;
const KEY_REGION: usize = memory.data(KEY_CAPACITY);

/** The UTF-8 bytes of KEY_PREFIX + key, built in static memory (no string concatenation per
 *  request); a key too long for it is concatenated and encoded as before. */
class KeyBytes {
  ptr: usize = 0;
  size: usize = 0;
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: never read, it holds the spilled key so the GC keeps the bytes `ptr` points at.
  private spill: ArrayBuffer | null = null;
  private readonly prefix: ArrayBuffer = String.UTF8.encode(KEY_PREFIX);

  set(key: string): void {
    const prefixSize = <usize>this.prefix.byteLength;
    const keySize = <usize>String.UTF8.byteLength(key);
    if (prefixSize + keySize <= <usize>KEY_CAPACITY) {
      memory.copy(KEY_REGION, changetype<usize>(this.prefix), prefixSize);
      String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, KEY_REGION + prefixSize);
      this.spill = null;
      this.ptr = KEY_REGION;
      this.size = prefixSize + keySize;
      return;
    }
    const spilled = String.UTF8.encode(KEY_PREFIX + key);
    this.spill = spilled;
    this.ptr = changetype<usize>(spilled);
    this.size = <usize>spilled.byteLength;
  }
}

/** Clears an evicted bucket (writes the empty value) only when it would be full anyway. */
class ClearIfFull extends SharedUpdate {
  nowNs: i64 = 0;
  burst: f64 = 1;
  refillPerNs: f64 = 0;

  apply(current: ArrayBuffer | null): ArrayBuffer | null {
    if (current === null || current.byteLength == 0) return null;
    const decoded = decodeBucket(current);
    const s = decoded.state;
    if (s === null) return null;
    return isIdleFull(s, this.nowNs, this.burst, this.refillPerNs) ? new ArrayBuffer(0) : null;
  }
}

export class SharedBuckets {
  private take: TakeUpdate = new TakeUpdate();
  private key: KeyBytes = new KeyBytes();
  /** Reused: the caller reads it before the next take. */
  private outcome: BucketOutcome = new BucketOutcome();
  private clear: ClearIfFull = new ClearIfFull();
  /** Per-worker buckets for failureMode "local". */
  private local: Map<string, BucketState> = new Map<string, BucketState>();
  failures: i64 = 0;

  constructor(public casRetries: i32) {}

  /** Takes `cost` tokens from the shared bucket `key`. */
  takeShared(key: string, nowNs: i64, cost: f64, burst: f64, refillPerNs: f64): BucketOutcome {
    const u = this.take;
    u.nowNs = nowNs;
    u.cost = cost;
    u.burst = burst;
    u.refillPerNs = refillPerNs;
    u.error = "";
    const k = this.key;
    k.set(key);
    const status = casUpdateInPlace(k.ptr, k.size, u, this.casRetries);
    const out = this.outcome;
    out.failed = false;
    out.error = "";
    if (status == WasmResult.Ok) {
      out.result = u.result;
      return out;
    }
    this.failures++;
    out.failed = true;
    out.error =
      u.error.length > 0
        ? u.error
        : "shared data status " +
          status.toString() +
          (status == WasmResult.CasMismatch ? " (CAS retries exhausted)" : "");
    return out;
  }

  /** Same maths on this worker's own bucket (failureMode "local": admission ≤ workers × limit). */
  takeLocal(key: string, nowNs: i64, cost: f64, burst: f64, refillPerNs: f64): TakeResult {
    let s: BucketState;
    if (this.local.has(key)) s = this.local.get(key);
    else {
      s = newBucket(burst, nowNs);
      this.local.set(key, s);
    }
    return takeTokens(s, nowNs, cost, burst, refillPerNs);
  }

  /** Clears an evicted key's shared bucket if full by now; drops its local twin. */
  evict(key: string, nowNs: i64, burst: f64, refillPerNs: f64): void {
    if (this.local.has(key)) this.local.delete(key);
    const u = this.clear;
    u.nowNs = nowNs;
    u.burst = burst;
    u.refillPerNs = refillPerNs;
    casUpdate(KEY_PREFIX + key, u, this.casRetries);
  }

  /** Creates `key` as a full bucket (empty value) if it does not exist yet; leaves it otherwise. */
  seed(key: string): void {
    const full = KEY_PREFIX + key;
    if (getSharedData(full) === null && lastStatus() == WasmResult.NotFound) setSharedData(full, new ArrayBuffer(0), 0);
  }
}
