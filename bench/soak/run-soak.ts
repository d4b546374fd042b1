// One soak run: steady load through real Envoy (ext_authz → the authz server process, the built
// Meshward filters, override-host LB over two upstreams), sampling resident memory and open file
// descriptors of Envoy and of the authz server. `npm run soak` runs it for 5 minutes; the test suite
// runs a short seeded variant (test/reliability/soak.e2e.test.ts).
// Request mix (seeded): 85 % GET /public/… (allowed), 10 % GET /private (denied, 403 expected),
// 5 % with a forged x-meshward-subject (allowed; the upstream must not see the forged value).
// Injected fault: every 60 s one upstream answers 503 for 5 s (from second 30 of each minute); a 503
// carrying `x-upstream` came from that upstream and counts as injected, anything else unexpected is
// an error.
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig, type WasmFilterSpec } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { fuzzTargets } from "../../test/reliability/filters/catalog.ts";
import { Random } from "../../test/reliability/random.ts";
import {
  assessFlatness,
  envoyOpenConnections,
  type Flatness,
  type ProcessSample,
  sampleProcess,
} from "./process-sampler.ts";

export interface SoakOptions {
  durationS: number;
  warmupS: number;
  rps: number;
  seed: number;
  sampleEveryS: number;
}

export interface SoakCounts {
  sent: number;
  /** Requests for /private: each must come back 403 from the policy. */
  privateSent: number;
  ok: number;
  denied: number;
  injected: number;
  /** Fault windows the run went through, and the requests the failing upstream received (and so
   *  answered 503) inside them. Whether any arrive depends on the balancer: with two endpoints
   *  adaptive-lb may keep all traffic on the other one for the whole window. */
  faultWindows: number;
  faultyUpstreamRequests: number;
  errors: number;
  errorSamples: string[];
  forgedSeenUpstream: number;
}

export interface SoakResult {
  filters: string[];
  seconds: number;
  counts: SoakCounts;
  /** Every sample, warm-up included, per process ("envoy", "authz"). */
  series: Record<string, ProcessSample[]>;
  /** The verdict on the samples after warm-up, per process. */
  flatness: Record<string, Flatness>;
  pass: boolean;
}

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

async function one(rand: Random, agent: Agent, envoy: RunningEnvoy, counts: SoakCounts): Promise<void> {
  const r = rand.float();
  const kind = r < 0.85 ? "public" : r < 0.95 ? "private" : "forged";
  const path = kind === "private" ? "/private" : `/public/items/${rand.int(1, 1000)}`;
  const headers: Record<string, string> = kind === "forged" ? { "x-meshward-subject": "admin-forged" } : {};
  counts.sent++;
  if (kind === "private") counts.privateSent++;
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

export async function runSoak(
  options: SoakOptions,
  onStart: (filters: string[]) => void = () => {},
): Promise<SoakResult> {
  const { durationS, warmupS, rps, sampleEveryS } = options;
  const rand = new Random(options.seed);
  const upstreams = await Promise.all(["a", "b"].map((n) => startSampleUpstream(n)));
  let authz: AuthzProcess | undefined;
  let envoy: RunningEnvoy | undefined;
  try {
    // One worker: the soak samples the RSS and fds of the process that serves the checks (with
    // several workers that would be the primary, which serves none).
    authz = await startAuthzProcess([], {
      workers: 1,
      env: { MESHWARD_AUTHZ_LOGGING_DECISIONS_SAMPLE_RATE: "0.001" },
    });
    const filterSpecs = meshwardFilters(upstreams);
    envoy = await startEnvoy(
      meshEnvoyConfig({
        upstreams: upstreams.map((u) => ({ host: "127.0.0.1", port: u.port })),
        upstreamLbPolicy: "override-host",
        extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort }, timeoutMs: 2000 },
        wasmFilters: filterSpecs,
      }),
      { concurrency: 2 },
    );
    const filters = filterSpecs.map((f) => f.name);
    onStart(filters);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const counts: SoakCounts = {
      sent: 0,
      privateSent: 0,
      ok: 0,
      denied: 0,
      injected: 0,
      faultWindows: 0,
      faultyUpstreamRequests: 0,
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
    let requestsBeforeWindow = 0;
    for (let i = 0; elapsedS() < durationS; i++) {
      const t = elapsedS();
      const failing = t % 60 >= 30 && t % 60 < 35; // 5 s of upstream 503s per minute
      if (failing && faulty.failWith === undefined) {
        counts.faultWindows++;
        requestsBeforeWindow = faulty.requests;
      } else if (!failing && faulty.failWith !== undefined) {
        counts.faultyUpstreamRequests += faulty.requests - requestsBeforeWindow;
      }
      faulty.failWith = failing ? 503 : undefined;
      if (t >= nextSampleS) {
        const envoyConnections = envoyOpenConnections(await envoy.stats());
        for (const [name, pid] of Object.entries(pids)) {
          const s = sampleProcess(pid, t, name === "envoy" ? envoyConnections : undefined);
          if (s) series[name]?.push(s);
        }
        nextSampleS += sampleEveryS;
      }
      const dueAtS = i / rps;
      if (dueAtS > t) await sleep((dueAtS - t) * 1000);
      if (inflight.size >= 512) {
        await Promise.race(inflight);
      }
      const p = one(rand, agent, envoy, counts).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    if (faulty.failWith !== undefined) counts.faultyUpstreamRequests += faulty.requests - requestsBeforeWindow;
    faulty.failWith = undefined;
    agent.destroy();
    const flatness: Record<string, Flatness> = {};
    let pass =
      counts.errors === 0 && counts.forgedSeenUpstream === 0 && counts.injected === counts.faultyUpstreamRequests;
    for (const [name, samples] of Object.entries(series)) {
      const f = assessFlatness(samples.filter((s) => s.atS >= warmupS));
      flatness[name] = f;
      pass &&= f.flat && f.fdsStable;
    }
    return { filters, seconds: elapsedS(), counts, series, flatness, pass };
  } finally {
    await envoy?.stop();
    await authz?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
  }
}
