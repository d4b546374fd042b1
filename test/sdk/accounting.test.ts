// The accounting behind `npm run bench:accounting`: the host's VmObserver sees every call into the
// VM, every host call and the bytes crossing the ABI, and the accounting copy of a release module
// counts AssemblyScript's allocations without changing what the module does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { accountingModule, COUNTERS } from "../../bench/accounting/instrument.ts";
import { CallbackLedger } from "../../bench/accounting/ledger.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { type Pair, proxyWasmHost } from "../host/index.ts";

const built = (name: string, ext: "wasm" | "wat") => join(repoRoot, "build/filters", `${name}.${ext}`);

// bench-headers reads these 10 names on every request (filters/conformance/bench-headers.ts);
// the values present come back through the guest's allocator.
const REQUEST: Pair[] = [
  [":method", "GET"],
  [":path", "/items"],
  [":authority", "shop"],
  ["user-agent", "ua"],
  ["x-meshward-risk-level", "low"],
];

describe("accounting", () => {
  it("charges each callback with its host calls, malloc call-ins and bytes, nested calls included", () => {
    const ledger = new CallbackLedger();
    const host = proxyWasmHost(built("bench-headers", "wasm")).withPlugin("bench-headers").withObserver(ledger).start();
    const vm = host.workers[0];
    if (!vm) throw new Error("no worker");
    ledger.bind(vm);
    ledger.recording = true;
    const stream = host.stream(0);
    stream.requestHeaders(
      REQUEST.map(([k, v]): Pair => [k, v]),
      true,
    );
    stream.responseHeaders([[":status", "200"]], true);
    stream.complete();
    const request = ledger.accounts.get("proxy_on_request_headers");
    expect(request?.calls).toBe(1);
    expect(request?.hostCalls.get("proxy_get_header_map_value")).toBe(10);
    expect(request?.hostCalls.get("proxy_replace_header_map_value")).toBe(1);
    // One block per header present, and the shared counter's value once it exists (not yet).
    expect(request?.mallocs).toBe(REQUEST.length);
    const valueBytes = REQUEST.reduce((n, [, v]) => n + Buffer.byteLength(v), 0);
    expect(request?.bytesToGuest).toBe(valueBytes);
    expect(ledger.accounts.get("proxy_on_response_headers")?.hostCalls.size).toBe(0);
    // malloc is charged to the callback it ran in, never as a callback of its own.
    expect(ledger.accounts.has("malloc")).toBe(false);
  });

  it("counts managed allocations in the accounting copy, which behaves as the release build", () => {
    const run = (bytes: Uint8Array) => {
      const host = proxyWasmHost(bytes)
        .withPlugin("traffic-shaper")
        .withConfig(JSON.stringify({ rules: [{ name: "all", limit: { rate: 1, unit: "minute", burst: 2 } }] }))
        .start();
      return [1, 2, 3].map(() => host.exchange({ path: "/" }, () => ({ status: 200 })).status);
    };
    const accounting = accountingModule(built("traffic-shaper", "wat"));
    expect(run(accounting)).toEqual(run(readFileSync(built("traffic-shaper", "wasm"))));
    expect(run(accounting)).toEqual([200, 200, 429]);
    const host = proxyWasmHost(accounting).withPlugin("traffic-shaper").start();
    const vm = host.workers[0];
    const before = vm?.exportedGlobal(COUNTERS.news) ?? Number.NaN;
    host.exchange({ path: "/" }, () => ({ status: 200 }));
    expect(vm?.exportedGlobal(COUNTERS.news)).toBeGreaterThan(before);
    expect(vm?.exportedGlobal("no_such_global")).toBeUndefined();
  });
});
