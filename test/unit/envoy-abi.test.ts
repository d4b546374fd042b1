import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkModuleImports } from "../../scripts/lib/envoy-abi.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import type { FunctionType } from "../../scripts/lib/wasm-binary.ts";
import { buildModule } from "../support/wasm-builder.ts";

const fn = (params: FunctionType["params"], results: FunctionType["results"]): FunctionType => ({ params, results });
const marker = { type: fn([], []), export: "proxy_abi_version_0_2_1" };

describe("checkModuleImports (what Envoy would refuse)", () => {
  it("accepts the built adaptive-lb filter", () => {
    expect(checkModuleImports(readFileSync(join(repoRoot, "build/filters/adaptive-lb.wasm")))).toEqual([]);
  });

  it("accepts a minimal module with the ABI marker and memory", () => {
    expect(checkModuleImports(buildModule({ functions: [marker] }))).toEqual([]);
  });

  it.each([
    [
      "AssemblyScript's default abort import",
      { imports: [{ module: "env", name: "abort", type: fn(["i32", "i32", "i32", "i32"], []) }], functions: [marker] },
      /missing import env\.abort/,
    ],
    [
      "a 0.1.0-only host call",
      { imports: [{ module: "env", name: "proxy_clear_route_cache", type: fn([], ["i32"]) }], functions: [marker] },
      /missing import env\.proxy_clear_route_cache/,
    ],
    [
      "an i32 metric delta (Envoy's is i64)",
      {
        imports: [{ module: "env", name: "proxy_increment_metric", type: fn(["i32", "i32"], ["i32"]) }],
        functions: [marker],
      },
      /import type mismatch env\.proxy_increment_metric/,
    ],
    ["no ABI marker export", { functions: [] }, /missing or unknown Proxy-Wasm ABI version/],
    [
      "proxy_on_done returning nothing",
      { functions: [marker, { type: fn(["i32"], []), export: "proxy_on_done" }] },
      /bad function signature for proxy_on_done/,
    ],
    ["no exported memory", { functions: [marker], exportMemory: false }, /no exported memory/],
  ])("refuses %s", (_name, spec, problem) => {
    const problems = checkModuleImports(buildModule(spec));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it("accepts WASI clock_time_get with its i64 precision parameter", () => {
    const module = buildModule({
      imports: [{ module: "wasi_snapshot_preview1", name: "clock_time_get", type: fn(["i32", "i64", "i32"], ["i32"]) }],
      functions: [marker],
    });
    expect(checkModuleImports(module)).toEqual([]);
  });

  it("rejects bytes that are not WebAssembly", () => {
    expect(() => checkModuleImports(new TextEncoder().encode("not wasm"))).toThrow(/bad magic/);
  });
});
