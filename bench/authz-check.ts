// In-process cost of one ext_authz Check through Meshward (CheckRequest → opa-envoy input →
// identity enricher → Rego-in-Wasm (default policy) → decision → CheckResponse), the same scope as
// opa-envoy-plugin's BenchmarkCheck (server.Check called directly, no network). Reports µs per
// check (wall and CPU), interleaving the variants in rounds so machine noise hits all of them.
// The risk variants add the risk engine (RiskEnricher, which also feeds outcomes back) with the in-memory
// store and with a real redis-server on loopback; the Redis variant also reports store commands per
// check, counted by the server (INFO commandstats) over the measured checks.
//   npm run bench:authz [-- --rounds 5 --iterations 20000 --only <variant name part> --no-redis]
import { create } from "@bufbuild/protobuf";
import { checkServiceOptions } from "../authz-server/src/app/check-options.ts";
import { CheckService, type CheckServiceOptions } from "../authz-server/src/check/check-service.ts";
import { defaultConfig } from "../authz-server/src/config/schema.ts";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { IdentityEnricher } from "../authz-server/src/identity/identity-enricher.ts";
import { AuthzMetrics } from "../authz-server/src/ops/metrics.ts";
import { ActivePolicy } from "../authz-server/src/policy/active-policy.ts";
import { createRiskEngine, type FallbackStore, type RiskEngine } from "../authz-server/src/risk/index.ts";
import { RiskEnricher } from "../authz-server/src/risk/risk-enricher.ts";
import { toPolicyInput } from "../authz-server/src/translate/input.ts";
import { type RunningRedis, startRedis } from "../scripts/lib/redis.ts";
import { repoRoot } from "../scripts/lib/tools.ts";
import { numberOption } from "./lib/cli-args.ts";
import { median } from "./lib/stats.ts";

const rounds = numberOption("rounds", 5);
const iterations = numberOption("iterations", 20_000);

/** A request like opa-envoy's benchmark fixture: GET with a handful of headers, mTLS peer. */
const request: CheckRequest = create(CheckRequestSchema, {
  attributes: {
    source: {
      address: {
        address: {
          case: "socketAddress",
          value: { address: "10.0.0.7", portSpecifier: { case: "portValue", value: 53012 } },
        },
      },
      principal: "spiffe://cluster.local/ns/prod/sa/web",
    },
    destination: {
      address: {
        address: {
          case: "socketAddress",
          value: { address: "10.0.0.9", portSpecifier: { case: "portValue", value: 8080 } },
        },
      },
    },
    request: {
      http: {
        id: "13359530607844510314",
        method: "GET",
        path: "/public/hello?x=1",
        host: "app.local",
        scheme: "http",
        protocol: "HTTP/1.1",
        headers: {
          ":authority": "app.local",
          ":method": "GET",
          ":path": "/public/hello?x=1",
          accept: "*/*",
          "user-agent": "curl/8.5.0",
          "x-request-id": "6b3a5f3e-0c4e-4d7e-9b0a-1f3f7c9a8e21",
          "x-forwarded-proto": "http",
        },
      },
    },
  },
});

const options: CheckServiceOptions = checkServiceOptions(defaultConfig(repoRoot));

async function main(): Promise<void> {
  const policy = new ActivePolicy();
  await policy.activateFromFile(`${repoRoot}/build/policy/default.tar.gz`);
  const identity = new IdentityEnricher({ spiffe: true });
  const metrics = new AuthzMetrics();
  const variants: Record<string, () => Promise<unknown> | unknown> = {
    "check (translate+identity+policy+response)": (() => {
      const s = new CheckService(options, { policy, enrichers: [identity] });
      return () => s.check(request);
    })(),
    "check + metrics observer": (() => {
      const s = new CheckService(options, { policy, enrichers: [identity], observers: [metrics.observeCheck] });
      return () => s.check(request);
    })(),
    "check without identity enricher": (() => {
      const s = new CheckService(options, { policy });
      return () => s.check(request);
    })(),
    "translate only": () => toPolicyInput(request),
    "policy only (pre-translated input)": (() => {
      const input = toPolicyInput(request);
      const evaluator = policy.evaluator;
      if (!evaluator) throw new Error("no bundle");
      return () => evaluator.evaluate(input, "envoy/authz/allow");
    })(),
    "policy only, input with meshward.identity": (() => {
      const input = toPolicyInput(request);
      input.meshward = {
        identity: {
          subject: "spiffe://cluster.local/ns/prod/sa/web",
          issuer: null,
          audience: null,
          claims: null,
          spiffe_id: "spiffe://cluster.local/ns/prod/sa/web",
          authenticated: true,
          method: "mtls",
        },
      };
      const evaluator = policy.evaluator;
      if (!evaluator) throw new Error("no bundle");
      return () => evaluator.evaluate(input, "envoy/authz/allow");
    })(),
  };
  const withRisk = (engine: RiskEngine) => {
    const risk = new RiskEnricher(engine);
    const s = new CheckService(options, { policy, enrichers: [identity, risk] });
    return () => s.check(request);
  };
  variants["check + risk engine (memory store)"] = withRisk(createRiskEngine());
  let redis: RunningRedis | undefined;
  let redisEngine: RiskEngine | undefined;
  // Without --no-redis a missing redis-server fails the run with the bootstrap's reason (never a
  // silently shorter report).
  if (!process.argv.includes("--no-redis")) {
    redis = await startRedis();
    // 1 s command timeout: on a loaded 2-core machine a 100 ms stall would switch the store to
    // local state for a while and the variant would measure the fallback instead of Redis.
    redisEngine = createRiskEngine({ redis: { url: redis.url, keyPrefix: "bench-authz:", commandTimeoutMs: 1000 } });
    const store = redisEngine.store as FallbackStore;
    for (let i = 0; i < 200 && store.stats().mode !== "shared"; i++) await new Promise((r) => setTimeout(r, 10));
    if (store.stats().mode !== "shared") throw new Error("risk store did not reach Redis");
    countCommands(redisEngine);
    variants["check + risk engine (redis store)"] = withRisk(redisEngine);
  }
  // Sanity: the benchmarked check allows (like opa-envoy's benchmark asserting OK in the loop).
  const probe = await new CheckService(options, { policy, enrichers: [identity] }).check(request);
  if (!probe.record.allowed) throw new Error(`benchmark request was denied: ${probe.record.errorCode ?? "policy"}`);
  try {
    await measure(variants, redisEngine);
  } finally {
    await redisEngine?.close();
    await redis?.stop();
  }
}

/** Commands the Redis client sent so far (each one is one round trip: nothing is pipelined across
 *  checks here, they run one after the other), counted by wrapping ioredis' sendCommand. */
const sentCommands = { count: 0 };

function countCommands(engine: RiskEngine): void {
  const redis = (engine.store as FallbackStore).redis;
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<typeof original>) => {
    sentCommands.count++;
    return original(...args);
  }) as typeof redis.sendCommand;
}

/** EVALSHA/EVAL calls redis-server executed so far (INFO commandstats; the scripts' own inner
 *  commands are listed separately there and not counted). */
async function serverScriptCalls(engine: RiskEngine): Promise<number> {
  const info = await (engine.store as FallbackStore).redis.info("commandstats");
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
}

async function measure(
  variants: Record<string, () => Promise<unknown> | unknown>,
  redisEngine: RiskEngine | undefined,
): Promise<void> {
  const only = process.argv.indexOf("--only");
  if (only !== -1) {
    const pattern = process.argv[only + 1] ?? "";
    for (const name of Object.keys(variants)) if (!name.includes(pattern)) delete variants[name];
  }

  const totals: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (const name of Object.keys(variants)) totals[name] = { wall: [], cpu: [] };
  for (const [, fn] of Object.entries(variants)) for (let i = 0; i < 2000; i++) await fn(); // warm-up
  let redisChecks = 0;
  let redisCommands = 0;
  let redisScripts = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const isRedis = redisEngine !== undefined && name.includes("redis store");
      const scripts0 = isRedis ? await serverScriptCalls(redisEngine as RiskEngine) : 0;
      const sent0 = sentCommands.count;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) await fn();
      const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / iterations;
      const c = process.cpuUsage(cpu0);
      totals[name]?.wall.push(wallUs);
      totals[name]?.cpu.push((c.user + c.system) / iterations);
      if (isRedis) {
        redisCommands += sentCommands.count - sent0;
        redisScripts += (await serverScriptCalls(redisEngine as RiskEngine)) - scripts0;
        redisChecks += iterations;
      }
    }
  }
  console.log(`authz-check: ${rounds} rounds × ${iterations} checks, node ${process.version}, default policy`);
  console.log("variant".padEnd(46), "median µs/check (wall)", " median µs/check (cpu)", " min wall");
  for (const [name, t] of Object.entries(totals)) {
    console.log(
      name.padEnd(46),
      median(t.wall).toFixed(2).padStart(22),
      median(t.cpu).toFixed(2).padStart(22),
      Math.min(...t.wall)
        .toFixed(2)
        .padStart(9),
    );
  }
  if (redisChecks > 0 && redisEngine) {
    const stats = (redisEngine.store as FallbackStore).stats();
    console.log(
      `risk redis store over ${redisChecks} checks: ${(redisCommands / redisChecks).toFixed(3)} round trips (client commands) per check, ${(redisScripts / redisChecks).toFixed(3)} EVALSHA/EVAL per check at the server; ${stats.fallbacks} checks served locally (Redis down or slower than the 1 s command timeout), ${(redisCommands / Math.max(1, redisChecks - stats.fallbacks)).toFixed(3)} round trips per check served by Redis`,
    );
  }
  console.log("anchor: opa-envoy-plugin BenchmarkCheck 40.7 µs/check; goal ≤ 20 µs");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
