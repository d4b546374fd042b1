// The pure modules never touch the host: their compiled wasm imports nothing but the compiler's
// abort hook, i.e. no Date.now, Math.random (env.seed), console or proxy_* calls. Also checks
// that they compile under the filters' settings (noAssert, abort → nothing), so
// the glue can import them as they are.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAlgorithms, compileEntry } from "./wasm.ts";

type WasmReflect = {
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
  Module: { imports(m: WebAssembly.Module): Array<{ module: string; name: string }> };
};
const wasm = (globalThis as unknown as { WebAssembly: WasmReflect }).WebAssembly;

async function importsOf(path: string) {
  return wasm.Module.imports(await wasm.compile(readFileSync(path))).map((i) => `${i.module}.${i.name}`);
}

beforeAll(async () => {
  await buildAlgorithms();
});

describe("pure modules are host-free", () => {
  it("the test build imports only env.abort", async () => {
    expect(await importsOf("build/test/algorithms.wasm")).toEqual(["env.abort"]);
  });

  it("compiles with the filters' options (noAssert, no abort import) and then imports nothing at all", async () => {
    mkdirSync("build/test", { recursive: true });
    const outFile = join("build/test", `release-check.${process.pid}.wasm`);
    const { error, output } = await compileEntry("filter-options", outFile);
    expect(error, output).toBeNull();
    try {
      expect(await importsOf(outFile)).toEqual([]);
    } finally {
      rmSync(outFile, { force: true });
    }
  });
});
