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
import { startMeshEnvoy } from "../../scripts/sandbox/mesh-envoy.ts";

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
