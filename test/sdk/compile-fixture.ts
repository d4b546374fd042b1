// Compiles an AssemblyScript fixture (filters/conformance/fixtures/) with the project's debug
// settings, for host tests that need a module Envoy would refuse or that misbehaves on purpose.
// build-filters.ts does not build these: they are not filters.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import asc from "assemblyscript/asc";
import { repoRoot } from "../../scripts/lib/tools.ts";

export async function compileFixture(name: string): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "meshward-fixture-"));
  const outFile = join(dir, `${name}.wasm`);
  try {
    const stderr: string[] = [];
    const { error } = await asc.main(
      [
        join("filters/conformance/fixtures", `${name}.ts`),
        "--config",
        "asconfig.json",
        "--target",
        "debug",
        "--outFile",
        outFile,
      ],
      {
        stdout: { write: () => true } as unknown as NodeJS.WritableStream,
        stderr: { write: (s: string) => stderr.push(String(s)) > 0 } as unknown as NodeJS.WritableStream,
        readFile: (file: string, baseDir: string) => {
          try {
            return readFileSync(join(baseDir || repoRoot, file), "utf8");
          } catch {
            return null;
          }
        },
      } as never,
    );
    if (error) throw new Error(`fixture ${name}: ${error.message}\n${stderr.join("")}`);
    return readFileSync(outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
