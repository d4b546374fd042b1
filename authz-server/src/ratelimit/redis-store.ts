// Rate-limit buckets on Redis, shared by every replica: one EVALSHA per request (redis-script.ts;
// ioredis falls back to EVAL once after a restart emptied the script cache). Errors and timeouts
// are let through; failover-store.ts turns them into the domain's failure mode.
//
// Keys: `<prefix>{<domain>}:b:<bucket>` (TAT), `…:v:<rule id>` (live per-value buckets of a rule),
// `…:o:<rule id>` (the rule's overflow bucket). `{<domain>}` is a Redis Cluster hash tag: every key
// of a domain hashes to one slot, which a single script per request needs (Cluster refuses a
// script whose keys span slots). The price is that one domain's counters live on one shard; split
// heavy traffic into several domains to spread it.
import type { Cluster, Redis } from "ioredis";
import { CHARGE_LUA } from "./redis-script.ts";
import type { Charge, ChargeResult, RateStore } from "./store.ts";

interface ScriptedRedis {
  mwRateCharge(numberOfKeys: number, ...args: string[]): Promise<number[]>;
}

export interface RedisRateStoreOptions {
  /** Prefix of every key (default `mw:rl:`), so several deployments can share one Redis. */
  keyPrefix?: string;
  /** Tests: decide at this instant (µs since RATE_EPOCH) instead of Redis's TIME; keys then get
   *  no expiry. */
  nowUs?: () => number;
}

export class RedisRateStore implements RateStore {
  private readonly prefix: string;
  private readonly scripts: ScriptedRedis;

  constructor(
    readonly redis: Redis | Cluster,
    private readonly options: RedisRateStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? "mw:rl:";
    if (/[{}]/.test(this.prefix)) throw new Error("ratelimit key prefix must not contain { or }");
    redis.defineCommand("mwRateCharge", { lua: CHARGE_LUA });
    this.scripts = redis as unknown as ScriptedRedis;
  }

  /** The keys of one charge: bucket, the rule's value set, the rule's overflow bucket. */
  keys(domain: string, charge: Charge): [string, string, string] {
    const base = `${this.prefix}{${domain}}:`;
    return [`${base}b:${charge.bucket}`, `${base}v:${charge.rule.id}`, `${base}o:${charge.rule.id}`];
  }

  async charge(domain: string, charges: readonly Charge[]): Promise<ChargeResult[]> {
    const keys: string[] = [];
    const args: string[] = [this.options.nowUs ? String(this.options.nowUs()) : "", String(charges.length)];
    for (const charge of charges) {
      keys.push(...this.keys(domain, charge));
      args.push(
        String(charge.limit.intervalUs),
        String(charge.limit.toleranceUs),
        String(charge.cost),
        charge.enforce ? "1" : "0",
        charge.rule.perValue ? String(charge.rule.maxValues) : "0",
      );
    }
    const reply = await this.scripts.mwRateCharge(keys.length, ...keys, ...args);
    const results: ChargeResult[] = [];
    for (let i = 0; i < charges.length; i++) {
      const at = 1 + i * 5;
      results.push({
        admitted: reply[at] === 1,
        remaining: Number(reply[at + 1]),
        resetUs: Number(reply[at + 2]),
        retryUs: Number(reply[at + 3]),
        overflow: reply[at + 4] === 1,
      });
    }
    return results;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
