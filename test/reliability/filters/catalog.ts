// The filters to fuzz: every entry of asconfig.json's `meshward.filters` whose module has been
// built (`npm run build:filters`), so filters that land later are fuzzed without touching this suite.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot } from "../../../scripts/lib/tools.ts";
import { type FilterProfile, profileFor } from "./profiles.ts";

export interface FuzzTarget {
  name: string;
  wasmPath: string;
  /** A source file next to the entry handles on_configure, so the filter is expected to refuse
   *  bad configs (the glue may live beside main.ts; `lib/` holds the pure parts). */
  readsConfig: boolean;
  profile: FilterProfile;
}

export function listedFilters(): Record<string, string> {
  const asconfig = JSON.parse(readFileSync(join(repoRoot, "asconfig.json"), "utf8")) as {
    meshward: { filters: Record<string, string> };
  };
  return asconfig.meshward.filters;
}

function handlesConfigure(dir: string): boolean {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .some((f) => /\bonConfigure\s*\(/.test(readFileSync(join(dir, f), "utf8")));
}

export function fuzzTargets(): FuzzTarget[] {
  return Object.entries(listedFilters())
    .map(([name, entry]) => ({
      name,
      wasmPath: join(repoRoot, "build/filters", `${name}.wasm`),
      readsConfig: handlesConfigure(join(repoRoot, dirname(entry))),
      profile: profileFor(name),
    }))
    .filter((t) => existsSync(t.wasmPath));
}
