// The sandbox degrades instead of failing when Envoy refuses a filter: real Envoy is given a module
// that is not Wasm, refuses the config, and comes up again without that filter, with a line saying so.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunningEnvoy } from "../../scripts/lib/envoy.ts";
import { stopAll } from "../../scripts/lib/processes.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import type { FilterChoice } from "../../scripts/sandbox/filters.ts";
import { diagnoseRefusal, startMeshEnvoy } from "../../scripts/sandbox/mesh-envoy.ts";

// Envoy 1.40's output when the traffic-shaper refused a pluginConfig (seen with the WasmPlugin's
// config, adaptive-lb loaded beside it).
const REFUSED = [
  "[2026-11-28 03:03:46.834][29084][info][wasm] [source/extensions/common/wasm/context.cc:1151] wasm log traffic-shaper traffic-shaper: meshward traffic-shaper 0.1.0 39652c8666d5",
  "[2026-11-28 03:03:46.842][29084][error][wasm] [source/extensions/common/wasm/context.cc:1157] wasm log traffic-shaper traffic-shaper: traffic-shaper: invalid pluginConfig: rules[0].limit: required",
  "[2026-11-28 03:03:46.842][29084][error][wasm] [source/extensions/common/wasm/wasm.cc:104] Wasm VM failed Failed to configure base Wasm plugin",
  "[2026-11-28 03:03:46.851][29084][critical][wasm] [source/extensions/common/wasm/wasm.cc:626] Plugin traffic-shaper failed to load",
  "[2026-11-28 03:03:46.851][29084][critical][main] [source/server/server.cc:449] error `Unable to create Wasm plugin traffic-shaper` initializing config",
].join("\n");

describe("refusal diagnosis", () => {
  it("names the filter Envoy could not load and its own error line", () => {
    expect(diagnoseRefusal(REFUSED, ["traffic-shaper", "adaptive-lb"])).toEqual({
      name: "traffic-shaper",
      reason: "wasm log traffic-shaper traffic-shaper: traffic-shaper: invalid pluginConfig: rules[0].limit: required",
    });
  });
  it("names no filter when the output does not, and keeps the first error", () => {
    expect(diagnoseRefusal("x\n[t][1][error][wasm] [f.cc:1] Wasm VM failed", ["a"])).toEqual({
      reason: "Wasm VM failed",
    });
  });
});

describe("sandbox Envoy", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshward-mesh-envoy-"));
  let envoy: RunningEnvoy | undefined;
  let upstream: SampleUpstream | undefined;
  afterAll(async () => {
    await envoy?.stop();
    await upstream?.close();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("leaves out a filter Envoy refuses and says which", async () => {
    const broken = join(dir, "broken.wasm");
    writeFileSync(broken, "not a wasm module");
    upstream = await startSampleUpstream("only");
    const filters: FilterChoice[] = [
      { name: "broken", note: "config from test", spec: { name: "broken", rootId: "broken", wasmPath: broken } },
    ];
    const lines: string[] = [];
    envoy = await startMeshEnvoy({
      listenerPort: 0,
      upstreams: [{ host: "127.0.0.1", port: upstream.port }],
      authzGrpcPort: 1, // nothing listens: checks fail closed (403), which is all this test needs
      filters,
      echo: false,
      log: (line) => lines.push(line),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^sandbox: filter broken absent — refused by Envoy, left out: Wasm VM failed .+; starting Envoy without it$/,
    );
    expect(filters[0]?.spec).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${envoy.listenerPort}/x`)).status).toBe(403);
  });
});
