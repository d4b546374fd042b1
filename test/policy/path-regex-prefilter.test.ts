// Both shipped bundles check a cheap character test (`may_need_regex`) before the ambiguous-segment
// regex, because the compiled Wasm module compiles that regex again in every evaluation. The
// shortcut must not change a single decision: over seeded segments built from the pattern's
// trigger characters, their near misses and hostile text, the Wasm bundles (run by Meshward's own
// evaluator) must refuse exactly the segments the pattern itself matches (computed here in JS) or
// that the other path rules refuse.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { createEvaluator, type PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { Random } from "../reliability/random.ts";

/** What the policies' pattern, `[/\\\x00\x{FFFD}]|%[0-9A-Fa-f]{2}|%[uU]`, matches (NUL tested apart:
 *  the linter refuses a control character in a regex literal). */
function matchesPattern(segment: string): boolean {
  return segment.includes("\u0000") || /[/\\\uFFFD]|%[0-9A-Fa-f]{2}|%[uU]/.test(segment);
}

/** The other segment rules of both bundles: dot segments, also with `;` parameters. */
function isDotSegment(segment: string): boolean {
  const head = segment.split(";")[0];
  return head === "." || head === "..";
}

// Lone surrogates are left out: JSON.stringify escapes them and OPA's JSON parser decides what they
// become, so the JS oracle could not say what the policy saw.
const PIECES = [
  ..."abcxyz0129.;-_~é€😀 \t\u0001\u007f\u00a0",
  ..."/\\\u0000\uFFFD%",
  ..."%2f %2F %00 %u %U %zz %4 %g1 %%41 %2 %.. %ff %FF %e9 \uFFFD\uFFFD %25 ..; .. .".split(" "),
];

function segments(seed: number, count: number): string[] {
  const rand = new Random(seed);
  const out = new Set<string>(PIECES);
  while (out.size < count) {
    let s = "";
    for (let n = rand.int(1, 6); n > 0; n--) s += rand.pick(PIECES);
    out.add(s);
  }
  return [...out];
}

function buildBundle(name: string, out: string): Buffer {
  const build = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/build-policy.ts", "--only", name, "--out", out],
    { cwd: repoRoot, encoding: "utf8" },
  );
  expect(build.status, build.stdout + build.stderr).toBe(0);
  return readFileSync(join(out, `${name}.tar.gz`));
}

async function evaluatorOf(archive: Buffer): Promise<PolicyEvaluator> {
  return createEvaluator(parseBundle(await unpackBundleArchive(archive)));
}

describe("ambiguous-segment regex behind a character pre-check", () => {
  let out = "";
  let defaultPolicy: PolicyEvaluator;
  let zeroTrust: PolicyEvaluator;
  const cases = segments(18, 1500);

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "meshward-prefilter-"));
    defaultPolicy = await evaluatorOf(buildBundle("default", out));
    zeroTrust = await evaluatorOf(buildBundle("zero-trust", out));
  }, 120_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("draws segments on both sides of the pattern", () => {
    const matching = cases.filter((s) => matchesPattern(s)).length;
    expect(matching).toBeGreaterThan(300);
    expect(cases.length - matching).toBeGreaterThan(300);
  });

  it("default bundle: a GET under /public/ is refused exactly when a rule says so", () => {
    const wrong: string[] = [];
    for (const segment of cases) {
      const input = { attributes: { request: { http: { method: "GET" } } }, parsed_path: ["public", segment] };
      const allowed = defaultPolicy.evaluate(input, "envoy/authz/allow") === true;
      if (allowed !== !(matchesPattern(segment) || isDotSegment(segment))) wrong.push(segment);
    }
    expect(wrong.map((s) => JSON.stringify(s))).toEqual([]);
  });

  it("zero-trust bundle: path_not_normalized exactly when a rule says so", () => {
    const wrong: string[] = [];
    for (const segment of cases) {
      const input = {
        attributes: { request: { http: { method: "GET", headers: {} } } },
        parsed_path: ["api", segment],
      };
      const refused = JSON.stringify(zeroTrust.evaluate(input, "meshward/zerotrust/decision")).includes(
        "path_not_normalized",
      );
      if (refused !== (matchesPattern(segment) || isDotSegment(segment))) wrong.push(segment);
    }
    expect(wrong.map((s) => JSON.stringify(s))).toEqual([]);
  });
});
