// The SDK-dependent builtins Meshward refuses (builtins/index.ts, REFUSED) really reach the host when
// OPA compiles a policy to Wasm, and a bundle using them is refused at load with the coded error,
// every name and each reason once — never loaded to fail at request time. The last test checks that
// OPA's list of SDK-dependent builtins is closed: each is provided, refused, or never reaches a host.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCodes, MeshwardError } from "../../authz-server/src/errors.ts";
import { meshwardBuiltins, REFUSED } from "../../authz-server/src/policy/builtins/index.ts";
import { type Bundle, parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { createEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { requiredBuiltins } from "../../authz-server/src/policy/required-builtins.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { SDK_BUILTIN_NAMES } from "../../authz-server/src/policy/wasm-host.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { readBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

/** One well-typed call of each refused builtin (arguments from input, so nothing is folded away). */
const CALLS: Record<string, string> = {
  "http.send": 'http.send({"method": "get", "url": input.url})',
  "net.lookup_ip_addr": "net.lookup_ip_addr(input.host)",
};

let wasmBundle: Bundle;

beforeAll(async () => {
  const dir = scratchDir("mw-refused");
  const rules = Object.values(CALLS).map((call, i) => `r${i} := ${call}`);
  writeFileSync(join(dir, "p.rego"), ["package refused", "import rego.v1", ...rules, ""].join("\n"));
  const out = join(dir, "b.tar.gz");
  execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", "refused", "-o", out, join(dir, "p.rego")], { cwd: dir });
  wasmBundle = parseBundle(await unpackBundleArchive(readBundle(out)));
}, 60_000);

describe("builtins Meshward refuses", () => {
  it("has a call here for every refused builtin", () => {
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(REFUSED).sort());
  });

  it("are imported from the host by OPA's Wasm output (so refusing them at load is the only place)", async () => {
    const needed = await requiredBuiltins(wasmBundle.wasm);
    for (const name of Object.keys(REFUSED)) expect(needed, name).toContain(name);
  });

  it("refuse the bundle at load with MW_BUNDLE_BUILTIN, every name and each reason once", async () => {
    const failure = await createEvaluator(wasmBundle).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(MeshwardError);
    const { code, message } = failure as MeshwardError;
    expect(code).toBe(ErrorCodes.bundleBuiltin);
    for (const name of Object.keys(REFUSED)) expect(message, name).toContain(name);
    for (const reason of new Set(Object.values(REFUSED))) {
      expect(message.split(reason).length - 1, reason).toBe(1);
    }
  });
});

/** OPA's builtin_metadata.json, from the Go module cache the bootstrap's `go install` fills. */
function opaMetadataPath(): string | undefined {
  try {
    const cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
    const version = /Version: (\S+)/.exec(execFileSync(opaBinary(), ["version"], { encoding: "utf8" }))?.[1];
    const path = join(cache, `github.com/open-policy-agent/opa@v${version}`, "builtin_metadata.json");
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

// `print` and `internal.test_case` are dropped by `opa build -t wasm`, `rego.metadata.*` resolved at
// build time: none of them reaches a host.
const NEVER_AT_HOST = new Set([
  "print",
  "internal.print",
  "internal.test_case",
  "rego.metadata.chain",
  "rego.metadata.rule",
]);
const metadataPath = opaMetadataPath();

describe.runIf(metadataPath !== undefined)("OPA's SDK-dependent builtins", () => {
  it("are each provided by the SDK or Meshward, or refused with a reason", () => {
    const metadata = JSON.parse(readFileSync(metadataPath as string, "utf8")) as Record<string, unknown>;
    const sdkDependent = Object.entries(metadata)
      .filter(([, entry]) => (entry as { wasm?: boolean } | null)?.wasm === false)
      .map(([name]) => name);
    expect(sdkDependent.length).toBeGreaterThan(100);
    const handled = new Set([...SDK_BUILTIN_NAMES, ...Object.keys(meshwardBuiltins()), ...Object.keys(REFUSED)]);
    expect(sdkDependent.filter((name) => !handled.has(name) && !NEVER_AT_HOST.has(name))).toEqual([]);
  });
});
