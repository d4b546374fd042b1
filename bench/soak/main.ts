// `npm run soak`: steady load through real Envoy (ext_authz → the authz server process, the built
// Meshward filters, override-host LB over two upstreams) for 5 minutes, sampling resident memory and
// open file descriptors of Envoy and of the authz server every few seconds.
//   npm run soak -- [--duration-s 300] [--warmup-s 60] [--rps 200] [--seed N]
// Request mix (seeded): 85 % GET /public/… (allowed), 10 % GET /private (denied, 403 expected),
// 5 % with a forged x-meshward-subject (allowed; the upstream must not see the forged value).
// Injected fault: every 60 s one upstream answers 503 for 5 s; a 503 carrying `x-upstream` came from
// that upstream and counts as injected, anything else unexpected is an error.
// Verdict (exit code 1 otherwise): after warm-up each process's RSS stays within ±10 % of its
// median, its fd count does not grow, and there are no errors beyond the injected ones.
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig, type WasmFilterSpec } from "../../scripts/lib/envoy-config.ts";
import { stopAll } from "../../scripts/lib/processes.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { fuzzTargets } from "../../test/reliability/filters/catalog.ts";
import { Random } from "../../test/reliability/random.ts";
import { assessFlatness, type ProcessSample, sampleProcess } from "./process-sampler.ts";

const { values } = parseArgs({
  options: {
    "duration-s": { type: "string", default: "300" },
    "warmup-s": { type: "string", default: "60" },
    rps: { type: "string", default: "200" },
    seed: { type: "string", default: "20261128" },
    "sample-every-s": { type: "string", default: "5" },
  },
});
const durationS = Number(values["duration-s"]);
const warmupS = Number(values["warmup-s"]);
const rps = Number(values.rps);
const sampleEveryS = Number(values["sample-every-s"]);
const rand = new Random(Number(values.seed));

/** The production filters: every built filter except the test and benchmark ones. */
function meshwardFilters(upstreams: SampleUpstream[]): WasmFilterSpec[] {
  return fuzzTargets()
    .filter((t) => t.name !== "conformance" && !t.name.startsWith("bench-"))
    .map((t) => ({
      name: t.name,
      rootId: t.name,
      wasmPath: t.wasmPath,
      pluginConfig:
        t.name === "adaptive-lb" ? JSON.stringify({ endpoints: upstreams.map((u) => `127.0.0.1:${u.port}`) }) : "{}",
    }));
}

interface Counts {
  sent: number;
  ok: number;
  denied: number;
  injected: number;
  errors: number;
  errorSamples: string[];
  forgedSeenUpstream: number;
}

function send(agent: Agent, port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, agent, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end();
  });
}

async function one(agent: Agent, envoy: RunningEnvoy, counts: Counts): Promise<void> {
  const r = rand.float();
  const kind = r < 0.85 ? "public" : r < 0.95 ? "private" : "forged";
  const path = kind === "private" ? "/private" : `/public/items/${rand.int(1, 1000)}`;
  const headers: Record<string, string> = kind === "forged" ? { "x-meshward-subject": "admin-forged" } : {};
  counts.sent++;
  try {
    const res = await send(agent, envoy.listenerPort, path, headers);
    if (kind === "private" && res.status === 403) counts.denied++;
    else if (kind !== "private" && res.status === 200) {
      counts.ok++;
      if (kind === "forged" && res.body.includes("admin-forged")) counts.forgedSeenUpstream++;
    } else if (res.status === 503 && res.headers["x-upstream"]) counts.injected++;
    else {
      counts.errors++;
      if (counts.errorSamples.length < 5)
        counts.errorSamples.push(`${kind} ${path}: ${res.status} ${res.body.slice(0, 120)}`);
    }
  } catch (err) {
    counts.errors++;
    if (counts.errorSamples.length < 5) counts.errorSamples.push(`${kind} ${path}: ${(err as Error).message}`);
  }
}

async function main(): Promise<number> {
  const upstreams = await Promise.all(["a", "b"].map((n) => startSampleUpstream(n)));
  let authz: AuthzProcess | undefined;
  let envoy: RunningEnvoy | undefined;
  try {
    authz = await startAuthzProcess([], { env: { MESHWARD_AUTHZ_LOGGING_DECISIONS_SAMPLE_RATE: "0.001" } });
    const filters = meshwardFilters(upstreams);
    envoy = await startEnvoy(
      meshEnvoyConfig({
        upstreams: upstreams.map((u) => ({ host: "127.0.0.1", port: u.port })),
        upstreamLbPolicy: "override-host",
        extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort }, timeoutMs: 2000 },
        wasmFilters: filters,
      }),
      { concurrency: 2 },
    );
    console.log(
      `soak: ${durationS} s at ${rps} req/s (warm-up ${warmupS} s), filters: ${filters.map((f) => f.name).join(", ") || "none"}`,
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const counts: Counts = {
      sent: 0,
      ok: 0,
      denied: 0,
      injected: 0,
      errors: 0,
      errorSamples: [],
      forgedSeenUpstream: 0,
    };
    const series: Record<string, ProcessSample[]> = { envoy: [], authz: [] };
    const pids: Record<string, number> = { envoy: envoy.process.pid, authz: authz.process.pid };
    const started = performance.now();
    const elapsedS = () => (performance.now() - started) / 1000;
    const inflight = new Set<Promise<void>>();
    let nextSampleS = 0;
    const faulty = upstreams[1] as SampleUpstream;
    for (let i = 0; elapsedS() < durationS; i++) {
      const t = elapsedS();
      faulty.failWith = t % 60 >= 30 && t % 60 < 35 ? 503 : undefined; // 5 s of upstream 503s per minute
      if (t >= nextSampleS) {
        for (const [name, pid] of Object.entries(pids)) {
          const s = sampleProcess(pid, t);
          if (s) series[name]?.push(s);
        }
        nextSampleS += sampleEveryS;
      }
      const dueAtS = i / rps;
      if (dueAtS > t) await sleep((dueAtS - t) * 1000);
      if (inflight.size >= 512) {
        await Promise.race(inflight);
      }
      const p = one(agent, envoy, counts).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    faulty.failWith = undefined;
    agent.destroy();
    const seconds = elapsedS();
    console.log(
      `requests ${counts.sent} in ${seconds.toFixed(1)} s (${(counts.sent / seconds).toFixed(1)} req/s): ` +
        `allowed ${counts.ok}, denied as expected ${counts.denied}, injected upstream 503 ${counts.injected}, ` +
        `errors ${counts.errors}, forged subject seen upstream ${counts.forgedSeenUpstream}`,
    );
    for (const e of counts.errorSamples) console.log(`  error: ${e}`);
    let pass = counts.errors === 0 && counts.forgedSeenUpstream === 0;
    for (const [name, samples] of Object.entries(series)) {
      const after = samples.filter((s) => s.atS >= warmupS);
      const f = assessFlatness(after);
      const mib = (k: number) => (k / 1024).toFixed(1);
      console.log(
        `${name.padEnd(6)} RSS after warm-up: median ${mib(f.medianRssKiB)} MiB, min ${mib(f.minRssKiB)}, max ${mib(f.maxRssKiB)}, ` +
          `max deviation ${(f.maxDeviation * 100).toFixed(1)} %, drift ${(f.drift * 100).toFixed(1)} % (${f.samples} samples); ` +
          `fds ${f.firstFds} → ${f.lastFds} (max ${f.maxFds}) → ${f.flat && f.fdsStable ? "flat" : "NOT FLAT"}`,
      );
      console.log(`       RSS series (MiB): ${samples.map((s) => mib(s.rssKiB)).join(" ")}`);
      pass &&= f.flat && f.fdsStable;
    }
    console.log(pass ? "soak: PASS" : "soak: FAIL");
    return pass ? 0 : 1;
  } finally {
    await envoy?.stop();
    await authz?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
    await stopAll();
  }
}

process.exit(await main());
