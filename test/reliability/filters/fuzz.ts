// The filter fuzzer, in the Node proxy-wasm host (test/host/), for any built filter:
//  - traffic: random request header maps (counts up to a few thousand, empty values, duplicates,
//    bytes beyond ASCII, huge values), random request bodies, random upstream statuses, headers and
//    bodies, random time between requests (ticks fire) over several worker VMs. No VM may trap or
//    fail, no exchange may throw, and each worker's memory (Wasm pages) must not grow after warm-up.
//  - configs: the profile's valid configs are accepted; its invalid ones are refused with a log
//    line at warn level or above; random JSON is either accepted or refused with such a line.
// Seeded: case i reproduces from (seed, i).
import { readFileSync } from "node:fs";
import { ConfigRejected, type LogRecord, type Pair, type ProxyWasmHost, proxyWasmHost } from "../../host/index.ts";
import { HOSTILE_CHARS, Random, TOKEN_CHARS, VALUE_CHARS } from "../random.ts";
import type { FuzzTarget } from "./catalog.ts";
import { randomJson } from "./profiles.ts";

export interface TrafficReport {
  filter: string;
  cases: number;
  statuses: Record<string, number>;
  /** Wasm memory pages per worker after warm-up and at the end. */
  pagesAfterWarmup: number[];
  pagesAtEnd: number[];
  failures: string[];
}

export interface ConfigReport {
  filter: string;
  cases: number;
  accepted: number;
  rejected: number;
  failures: string[];
}

const LATIN1 = Array.from({ length: 96 }, (_, i) => String.fromCharCode(0xa0 + (i % 96))).join("");

/** Size caps of a random header map. The warm-up sends maps at these caps, so the guest heap reaches
 *  its high-water mark before the memory baseline is taken; growth after that is a leak. */
const MAX_HEADERS = 3000;
const MAX_NAME = 30;
const MAX_VALUE = 120;
const GIANT = 60_000;
const MAX_BODY = 20_000;

function headerValue(rand: Random, max: number): string {
  const alphabet = rand.chance(0.8) ? VALUE_CHARS : rand.chance(0.7) ? `${VALUE_CHARS}${LATIN1}\t` : HOSTILE_CHARS;
  return rand.text(alphabet, rand.size(max));
}

/** A random header map: mostly small, sometimes thousands of entries; names repeat on purpose; at
 *  most one giant name and one giant value per map. */
export function randomHeaders(rand: Random): Pair[] {
  const count = rand.chance(0.02) ? rand.int(500, MAX_HEADERS) : rand.size(40);
  const names: string[] = [];
  const out: Pair[] = [];
  let giantName = rand.chance(0.01);
  let giantValue = rand.chance(0.02);
  for (let i = 0; i < count; i++) {
    let name: string;
    if (names.length > 0 && rand.chance(0.15)) name = rand.pick(names);
    else {
      name = rand.text(TOKEN_CHARS, giantName ? GIANT / 10 : rand.int(1, MAX_NAME)).toLowerCase();
      giantName = false;
    }
    names.push(name);
    out.push([name, rand.chance(0.1) ? "" : headerValue(rand, giantValue ? GIANT : MAX_VALUE)]);
    giantValue = false;
  }
  return out;
}

/** The largest map randomHeaders can produce. */
function maximalHeaders(rand: Random): Pair[] {
  const out: Pair[] = [[rand.text(TOKEN_CHARS, GIANT / 10).toLowerCase(), rand.text(VALUE_CHARS, GIANT)]];
  for (let i = 1; i < MAX_HEADERS; i++)
    out.push([`h${i}-${rand.text(TOKEN_CHARS, MAX_NAME - 8)}`.toLowerCase(), rand.text(VALUE_CHARS, MAX_VALUE)]);
  return out;
}

function trap(host: ProxyWasmHost): string | undefined {
  return host.workers.find((vm) => vm.failed)?.failed;
}

const moduleBytes = new Map<string, Uint8Array>();
function bytesOf(target: FuzzTarget): Uint8Array {
  let bytes = moduleBytes.get(target.wasmPath);
  if (!bytes) {
    bytes = readFileSync(target.wasmPath);
    moduleBytes.set(target.wasmPath, bytes);
  }
  return bytes;
}

function startHost(target: FuzzTarget, config: string, workers: number): ProxyWasmHost {
  return proxyWasmHost(bytesOf(target))
    .withPlugin(target.name)
    .withConfig(config)
    .withWorkers(workers)
    .withCluster("conformance_callout", "outbound|80||authz")
    .start();
}

export function runTrafficFuzz(target: FuzzTarget, options: { cases: number; seed: number }): TrafficReport {
  const root = new Random(options.seed);
  const config = target.profile.validConfigs(root).at(-1) ?? "";
  const host = startHost(target, config, target.profile.workers);
  const report: TrafficReport = {
    filter: target.name,
    cases: 0,
    statuses: {},
    pagesAfterWarmup: [],
    pagesAtEnd: [],
    failures: [],
  };
  const warmup = Math.min(2000, Math.floor(options.cases / 5));
  for (let i = 0; i < options.cases; i++) {
    if (i === warmup) {
      // Every worker sees maximal requests and responses before the memory baseline.
      const big = new Random(options.seed ^ 0xb16);
      for (let round = 0; round < 3; round++) {
        for (let w = 0; w < host.workers.length; w++) {
          host.exchange(
            {
              path: "/",
              headers: [...maximalHeaders(big), ...target.profile.steeringHeaders(big)],
              body: big.bytes(MAX_BODY),
              worker: w,
            },
            () => ({ status: 200, headers: maximalHeaders(big).slice(0, 200), body: big.bytes(MAX_BODY) }),
          );
        }
      }
      report.pagesAfterWarmup = host.workers.map((vm) => vm.memoryPages());
    }
    const rand = root.fork(i);
    if (rand.chance(0.3)) host.advance(rand.chance(0.01) ? rand.int(60_000, 7_200_000) : rand.int(0, 2000));
    const headers = [...randomHeaders(rand), ...target.profile.steeringHeaders(rand)];
    const upstreamStatus = rand.chance(0.05) ? rand.int(100, 999) : rand.pick([200, 200, 200, 204, 404, 429, 500, 503]);
    try {
      const result = host.exchange(
        {
          method: rand.pick(["GET", "POST", "PUT", "DELETE", "OPTIONS"]),
          path: rand.chance(0.9) ? `/${rand.text(VALUE_CHARS, rand.size(200))}` : "/",
          authority: rand.pick(["localhost", "api.example", "", rand.text(TOKEN_CHARS, 20)]),
          headers,
          ...(rand.chance(0.2) ? { body: rand.bytes(rand.size(MAX_BODY)) } : {}),
        },
        () => ({
          status: upstreamStatus,
          headers: randomHeaders(rand).slice(0, 200),
          ...(rand.chance(0.3) ? { body: rand.bytes(rand.size(MAX_BODY)) } : {}),
        }),
      );
      report.statuses[result.status] = (report.statuses[result.status] ?? 0) + 1;
    } catch (err) {
      if (report.failures.length < 20) report.failures.push(`case ${i}: exchange threw: ${(err as Error).message}`);
    }
    report.cases++;
    const failed = trap(host);
    if (failed) {
      report.failures.push(`case ${i} (seed ${options.seed}): VM failed: ${failed}`);
      break;
    }
  }
  report.pagesAtEnd = host.workers.map((vm) => vm.memoryPages());
  host.shutdown();
  return report;
}

export function runConfigFuzz(target: FuzzTarget, options: { cases: number; seed: number }): ConfigReport {
  const root = new Random(options.seed);
  const report: ConfigReport = { filter: target.name, cases: 0, accepted: 0, rejected: 0, failures: [] };
  const fail = (m: string) => report.failures.length < 20 && report.failures.push(m);
  for (let i = 0; i < options.cases; i++) {
    const rand = root.fork(i);
    const kind = rand.pick(["valid", "invalid", "random", "random"] as const);
    const candidates =
      kind === "valid"
        ? target.profile.validConfigs(rand)
        : kind === "invalid"
          ? target.profile.invalidConfigs(rand)
          : [
              rand.chance(0.8)
                ? JSON.stringify(randomJson(rand))
                : rand.text(HOSTILE_CHARS + VALUE_CHARS, rand.size(300)),
            ];
    if (candidates.length === 0) continue;
    const config = rand.pick(candidates);
    let host: ProxyWasmHost | undefined;
    const builder = proxyWasmHost(bytesOf(target)).withPlugin(target.name).withConfig(config);
    // The builder's log list (private field): the guest's lines from a refused start are only there.
    const logs = (builder as unknown as { logs: LogRecord[] }).logs;
    try {
      host = builder.start();
    } catch (err) {
      if (!(err instanceof ConfigRejected)) {
        fail(`config ${JSON.stringify(config).slice(0, 200)}: load threw ${(err as Error).message}`);
        continue;
      }
    }
    report.cases++;
    if (host) {
      report.accepted++;
      host.shutdown();
      if (kind === "invalid" && target.readsConfig) fail(`invalid config accepted: ${config.slice(0, 200)}`);
      continue;
    }
    report.rejected++;
    if (kind === "valid") fail(`valid config refused: ${config.slice(0, 200)}`);
    // The filter itself must say why, at warn or above, from the guest (not the host's own line).
    const said = logs.some((l) => l.level >= 3 && !/^(Function: |Wasm VM failed|Failed to configure)/.test(l.message));
    if (!said) fail(`config refused without a message: ${config.slice(0, 200)}`);
  }
  return report;
}
