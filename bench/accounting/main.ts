// `npm run bench:accounting [-- --requests 20000] [--build DIR]`: where each filter's per-request cost goes, per
// callback, in the Node proxy-wasm host (test/host/). Each filter runs with the configuration of
// the Envoy tier (bench/load/envoy-filters.ts) over a fixed request mix; after a warm-up, every
// callback's work is charged to it (ledger.ts): host calls by name, calls back into the VM to
// allocate returned values, bytes copied across the ABI each way, AssemblyScript allocations and
// the GC marking they cause (counted by an accounting copy of the release build, instrument.ts),
// and wall time in the Node host. Counts are exact and machine-independent; the times are only
// indicative (V8 here, not Envoy's; JS host functions), so the Envoy A/B (`npm run
// bench:filters-ab`) judges changes, and this table says where to look.
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { OVERRIDE_HOST_HEADER } from "../../scripts/lib/envoy-config.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { overrideHost } from "../../test/adaptive-lb/lb-host.ts";
import { type Pair, type ProxyWasmHost, proxyWasmHost } from "../../test/host/index.ts";
import { propertyKey, serializeProperty } from "../../test/host/properties.ts";
import { numberOption } from "../lib/cli-args.ts";
import { benchFilters } from "../load/envoy-filters.ts";
import { accountingModule } from "./instrument.ts";
import { type CallbackAccount, CallbackLedger, emptyAccount } from "./ledger.ts";

const REQUESTS = numberOption("requests", 20000);
/** Another build/filters directory (e.g. main's, for a before/after); its .wat files are read. */
const BUILD = process.argv.includes("--build")
  ? String(process.argv[process.argv.indexOf("--build") + 1])
  : join(repoRoot, "build/filters");
const WARMUP = numberOption("warmup", 5000);
const ENDPOINTS = ["10.0.0.1:8080", "10.0.0.2:8080"];

/** The fixed mix, cycled: one authority (as in the Envoy tier), reads and writes, one 5xx. */
const MIX: { method: string; path: string; status: number; latencyMs: number }[] = [
  { method: "GET", path: "/v1/orders/12345?expand=items", status: 200, latencyMs: 4 },
  { method: "POST", path: "/v1/orders", status: 201, latencyMs: 9 },
  { method: "GET", path: "/v1/catalog?page=2", status: 200, latencyMs: 3 },
  { method: "GET", path: "/v1/orders/9", status: 503, latencyMs: 1 },
];

function requestHeaders(method: string, path: string): Pair[] {
  return [
    [":authority", "orders.shop.svc.cluster.local"],
    [":path", path],
    [":method", method],
    [":scheme", "http"],
    ["user-agent", "meshward-bench/1.0"],
    ["accept", "application/json"],
    ["x-request-id", "4f1c2d7e-9a3b-4c1d-8e2f-0a1b2c3d4e5f"],
  ];
}

/** One request through the filter as Envoy's router would run it: the upstream is the override
 *  header's first known endpoint, else round robin (what override_host does). */
function drive(host: ProxyWasmHost, i: number, rr: { next: number }): void {
  const r = MIX[i % MIX.length] as (typeof MIX)[number];
  const stream = host.stream(0);
  stream.requestHeaders(requestHeaders(r.method, r.path), true);
  const header = stream.state.requestSnapshot.find(([k]) => k === OVERRIDE_HOST_HEADER)?.[1];
  const address = overrideHost(header, ENDPOINTS, rr);
  const properties = stream.state.filterState;
  properties.set(propertyKey(["upstream", "address"]), serializeProperty({ kind: "string", value: address }));
  // Envoy always reports the flags (0 when none), so on_log's read returns 8 bytes as there.
  properties.set(propertyKey(["response", "flags"]), serializeProperty({ kind: "uint64", value: 0n }));
  host.clock.advanceMs(r.latencyMs);
  stream.responseHeaders(
    [
      [":status", String(r.status)],
      ["content-type", "application/json"],
    ],
    false,
  );
  stream.complete();
}

function account(name: string, config: string | undefined): { ledger: CallbackLedger; pages: number[] } {
  const ledger = new CallbackLedger();
  let builder = proxyWasmHost(accountingModule(join(BUILD, `${name}.wat`)))
    .withPlugin(name)
    .withWorkers(1)
    .withObserver(ledger)
    .withProperty(["upstream", "num_endpoints"], BigInt(ENDPOINTS.length));
  if (config !== undefined) builder = builder.withConfig(config);
  const host = builder.start();
  const vm = host.workers[0];
  if (!vm) throw new Error("no worker VM");
  ledger.bind(vm);
  const rr = { next: 0 };
  for (let i = 0; i < WARMUP; i++) drive(host, i, rr);
  const pagesBefore = vm.memoryPages();
  ledger.recording = true;
  for (let i = 0; i < REQUESTS; i++) drive(host, i, rr);
  ledger.recording = false;
  return { ledger, pages: [pagesBefore, vm.memoryPages()] };
}

const per = (x: number) => (x / REQUESTS).toFixed(2);
const hostCallsText = (calls: Map<string, number>) =>
  [...calls]
    .sort((a, b) => b[1] - a[1])
    .map(([n, c]) => `${n.replace(/^proxy_/, "")} ${per(c)}`)
    .join(", ") || "—";

function sum(accounts: CallbackAccount[]): CallbackAccount {
  const total = emptyAccount();
  for (const a of accounts) {
    total.calls += a.calls;
    for (const [n, c] of a.hostCalls) total.hostCalls.set(n, (total.hostCalls.get(n) ?? 0) + c);
    total.mallocs += a.mallocs;
    total.bytesFromGuest += a.bytesFromGuest;
    total.bytesToGuest += a.bytesToGuest;
    total.news += a.news;
    total.newBytes += a.newBytes;
    total.gcVisits += a.gcVisits;
    total.ns += a.ns;
  }
  return total;
}

function row(filter: string, callback: string, a: CallbackAccount): string {
  const cells = [
    filter,
    callback,
    per(a.calls),
    hostCallsText(a.hostCalls),
    per(a.mallocs),
    per(a.bytesFromGuest),
    per(a.bytesToGuest),
    per(a.news),
    per(a.newBytes),
    per(a.gcVisits),
    (a.ns / REQUESTS / 1000).toFixed(2),
  ];
  return `| ${cells.join(" | ")} |`;
}

const filters = benchFilters(BUILD);
const subjects = [filters.empty, filters.shaper, filters.adaptiveLb].filter((f) =>
  existsSync(join(BUILD, `${f.name}.wat`)),
);
console.log(
  `accounting: ${BUILD}, ${REQUESTS} requests per filter after ${WARMUP} warm-up, per request; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}\n`,
);
console.log(
  "| filter | callback | calls | host calls | malloc calls into VM | bytes guest→host | bytes host→guest | `__new` | new bytes | GC visits | µs (Node host) |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const f of subjects) {
  const { ledger, pages } = account(f.name, f.pluginConfig);
  for (const [callback, a] of ledger.accounts) console.log(row(f.name, callback.replace(/^proxy_on_/, ""), a));
  console.log(`${row(f.name, `**total** (memory ${pages[0]}→${pages[1]} pages)`, sum([...ledger.accounts.values()]))}`);
}
