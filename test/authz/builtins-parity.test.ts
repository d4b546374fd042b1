// Every builtin Meshward provides to Wasm policies, checked against the pinned OPA CLI: one Rego
// module holds one rule per case of builtin-cases.ts; `opa eval` evaluates it (OPA's Go builtins,
// non-strict: a failing builtin is undefined) and Meshward evaluates the same module compiled to
// Wasm with its builtins. Both answers are compared rule by rule, undefined included. The
// non-deterministic builtins (time.now_ns, rand.intn, uuid.rfc4122) are checked for their
// properties instead. Which builtins need a host is OPA's own list (builtin_metadata.json entries
// with "wasm": false); authz-server/README.md says which of them Meshward provides.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { meshwardBuiltins, REFUSED } from "../../authz-server/src/policy/builtins/index.ts";
import { runtimeInfo } from "../../authz-server/src/policy/builtins/runtime.ts";
import { parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { createEvaluator, type PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { SDK_BUILTIN_NAMES } from "../../authz-server/src/policy/wasm-host.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { type Arg, BUILTIN_CASES, type BuiltinCase } from "./builtin-cases.ts";
import { cryptoCases } from "./builtin-cases-crypto.ts";
import { graphqlAstCases, graphqlCases } from "./builtin-cases-graphql.ts";
import { JSON_SCHEMA_CASES } from "./builtin-cases-json-schema.ts";
import { WEB_CASES } from "./builtin-cases-web.ts";
import { readBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

function isSpecial(arg: Arg): boolean {
  if (arg === null || typeof arg !== "object") return false;
  if ("$set" in arg || "$number" in arg) return true;
  return Object.values(arg).some(isSpecial);
}

/** A Rego literal for `arg`, with `{$set}` as a set and `{$number}` as an exact number. */
function literal(arg: Arg): string {
  if (arg === null || typeof arg !== "object") return JSON.stringify(arg);
  if ("$number" in arg) return `to_number(${JSON.stringify((arg as { $number: string }).$number)})`;
  if ("$set" in arg) {
    const items = (arg as { $set: Arg[] }).$set;
    return items.length === 0 ? "set()" : `{${items.map(literal).join(", ")}}`;
  }
  if (Array.isArray(arg)) return `[${arg.map(literal).join(", ")}]`;
  return `{${Object.entries(arg)
    .map(([k, v]) => `${JSON.stringify(k)}: ${literal(v)}`)
    .join(", ")}}`;
}

/** Builtins whose result is a set: compared sorted (a set has no order; the Wasm runtime's JSON
 *  lists it in hash order, OPA's sorted). */
const SET_RESULTS = new Set([
  "net.cidr_merge",
  "net.cidr_expand",
  "net.cidr_contains_matches",
  "graph.reachable_paths",
]);

let cases: BuiltinCase[] = [];
let module = "";
let input: Record<string, unknown> = {};

function ruleOf(c: BuiltinCase, i: number): string {
  const args = c.args.map((a, k) => (isSpecial(a) ? literal(a) : `input.c${i}[${k}]`));
  const plain = `${c.name}(${args.join(", ")})`;
  const sorted = SET_RESULTS.has(c.name) ? `sort(${plain})` : plain;
  const call = c.around ? c.around(sorted) : sorted;
  // Exact: the nanoseconds split in two halves a double holds (Wasm integer arithmetic is exact).
  return c.exact
    ? `c${i} := [r % 1000000000, (r - (r % 1000000000)) / 1000000000] if r := ${call}`
    : `c${i} := ${call}`;
}

/** JSON with object keys sorted (objects have no order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

let opaAnswers: Record<string, unknown>;
let evaluator: PolicyEvaluator;

beforeAll(async () => {
  cases = [
    ...BUILTIN_CASES,
    ...WEB_CASES,
    ...cryptoCases(),
    ...JSON_SCHEMA_CASES,
    ...graphqlCases(),
    ...graphqlAstCases(),
  ];
  module = `package parity\n\nimport rego.v1\n\n${cases.map(ruleOf).join("\n")}\n`;
  input = Object.fromEntries(cases.map((c, i) => [`c${i}`, c.args]));
  const dir = scratchDir("mw-parity");
  writeFileSync(join(dir, "parity.rego"), module);
  writeFileSync(join(dir, "input.json"), JSON.stringify(input));
  let out: string;
  try {
    out = execFileSync(
      opaBinary(),
      ["eval", "-f", "json", "-d", join(dir, "parity.rego"), "-i", join(dir, "input.json"), "data.parity"],
      { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`opa eval failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
  opaAnswers = (JSON.parse(out) as { result: { expressions: { value: Record<string, unknown> }[] }[] }).result[0]
    ?.expressions[0]?.value as Record<string, unknown>;
  const bundlePath = join(dir, "bundle.tar.gz");
  execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", "parity", "-o", bundlePath, join(dir, "parity.rego")], {
    cwd: dir,
  });
  evaluator = await createEvaluator(parseBundle(await unpackBundleArchive(readBundle(bundlePath))));
}, 120_000);

describe("builtins Meshward provides, against the OPA CLI", () => {
  it("answers every case as OPA does, failures and undefined included", () => {
    const ours = evaluator.evaluate(input, "parity") as Record<string, unknown>;
    const differences = cases
      .map((c, i) => ({
        case: `${c.name}(${JSON.stringify(c.args).slice(1, -1)})`,
        opa: opaAnswers[`c${i}`],
        meshward: ours[`c${i}`],
        expected: c.meshwardFails === undefined ? opaAnswers[`c${i}`] : undefined,
      }))
      .filter((d) => canonical(d.expected) !== canonical(d.meshward));
    expect(differences).toEqual([]);
    // A documented difference is one only while OPA does answer.
    const notDifferent = cases.filter((c, i) => c.meshwardFails !== undefined && opaAnswers[`c${i}`] === undefined);
    expect(notDifferent).toEqual([]);
    // The certificates parsed (equal, not both undefined): 11 inputs of certificates, and "" (none).
    const parsed = cases.filter((c, i) => c.name === "crypto.x509.parse_certificates" && Array.isArray(ours[`c${i}`]));
    expect(parsed.length).toBe(12);
  });

  it("has, for every builtin, cases that succeed (agreeing on failures alone would prove little)", () => {
    const ours = evaluator.evaluate(input, "parity") as Record<string, unknown>;
    const failed = (v: unknown) => v === undefined || v === false || (Array.isArray(v) && v[0] === false);
    const names = new Set(cases.map((c) => c.name));
    const succeeding = new Set(cases.filter((_, i) => !failed(ours[`c${i}`])).map((c) => c.name));
    expect([...names].filter((n) => !succeeding.has(n))).toEqual([]);
  });

  it("provides only builtins the pinned OPA knows, and none it refuses", () => {
    const metadata = JSON.parse(
      execFileSync(opaBinary(), ["capabilities", "--current"], { encoding: "utf8", maxBuffer: 64 << 20 }),
    ) as { builtins: { name: string }[] };
    const known = new Set(metadata.builtins.map((b) => b.name));
    const provided = new Set([...SDK_BUILTIN_NAMES, ...Object.keys(meshwardBuiltins())]);
    for (const name of provided) expect(known.has(name), name).toBe(true);
    for (const name of Object.keys(REFUSED)) expect(provided.has(name), name).toBe(false);
  });
});

describe("builtins that are not deterministic or not bounded", () => {
  let policy: PolicyEvaluator;
  beforeAll(async () => {
    const dir = scratchDir("mw-nondeterministic");
    writeFileSync(
      join(dir, "p.rego"),
      [
        "package nd",
        "import rego.v1",
        "clock := [time.now_ns(), time.now_ns()]",
        'random := [rand.intn("a", 10), rand.intn("a", 10), rand.intn("b", 1000000)]',
        'ids := [uuid.rfc4122("a"), uuid.rfc4122("a"), uuid.rfc4122("b")]',
        "expanded := count(net.cidr_expand(input.cidr))",
        "globs := regex.globs_match(input.glob1, input.glob2)",
        "",
      ].join("\n"),
    );
    const bundle = join(dir, "b.tar.gz");
    execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", "nd", "-o", bundle, join(dir, "p.rego")], { cwd: dir });
    policy = await createEvaluator(parseBundle(await unpackBundleArchive(readBundle(bundle))), {
      nowMs: () => 1_764_864_000_123.456,
    });
  }, 60_000);

  it("keeps time.now_ns, rand.intn and uuid.rfc4122 constant within one evaluation, as OPA does", () => {
    type Answer = { clock: number[]; random: number[]; ids: string[] };
    const first = policy.evaluate({ cidr: "10.0.0.0/30" }, "nd") as Answer;
    expect(first.clock[0]).toBe(first.clock[1]);
    expect(first.clock[0]).toBe(1_764_864_000_123_456_000);
    expect(first.random[0]).toBe(first.random[1]);
    expect(first.random[0]).toBeGreaterThanOrEqual(0);
    expect(first.random[0]).toBeLessThan(10);
    expect(first.ids[0]).toBe(first.ids[1]);
    expect(first.ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.ids[2]).not.toBe(first.ids[0]);
    const second = policy.evaluate({ cidr: "10.0.0.0/30" }, "nd") as Answer;
    expect(second.ids[0]).not.toBe(first.ids[0]);
  });

  it("stops an evaluation that would expand a huge block (OPA stops it at the query's deadline)", () => {
    expect((policy.evaluate({ cidr: "10.0.0.0/16" }, "nd") as { expanded: number }).expanded).toBe(65_536);
    expect(() => policy.evaluate({ cidr: "10.0.0.0/8" }, "nd")).toThrow(/more than 65536 addresses/);
  });

  it("stops regex.globs_match on globs whose intersection would take OPA minutes", () => {
    const globs = (glob1: string, glob2: string) => {
      const started = performance.now();
      const run = () => policy.evaluate({ cidr: "10.0.0.0/32", glob1, glob2 }, "nd");
      return { run, elapsed: () => performance.now() - started };
    };
    // OPA: n=7 takes 5 s, n=8 47 s, n=9 over 2 minutes. Remembered answers: milliseconds.
    const nine = globs(".+a+".repeat(9), `${"a+.*".repeat(9)}b`);
    expect((nine.run() as { globs: boolean }).globs).toBe(false);
    expect(nine.elapsed()).toBeLessThan(5_000);
    // Beyond the step budget or the recursion limit the evaluation stops (a deny), as for cidr_expand.
    const wide = globs(".+a+".repeat(100), `${"a+.*".repeat(100)}b`);
    expect(wide.run).toThrow(/regex.globs_match: more than 1000000 steps/);
    expect(wide.elapsed()).toBeLessThan(10_000);
    const deep = globs(`${"a*b*".repeat(5000)}c`, `${"b*a*".repeat(5000)}c`);
    expect(deep.run).toThrow(/regex.globs_match: recursion deeper than 1000/);
    // Linear work is never cut short.
    expect((globs("a".repeat(200_000), "a*").run() as { globs: boolean }).globs).toBe(true);
  });
});

describe("opa.runtime", () => {
  it("answers OPA's shape with the process environment, and Meshward's version", async () => {
    const dir = scratchDir("mw-runtime");
    writeFileSync(join(dir, "p.rego"), "package rt\n\nimport rego.v1\n\nrt := opa.runtime()\n");
    const env = { PATH: process.env.PATH ?? "", MW_RUNTIME_PROBE: 'a "quoted" value\u00e9', EMPTY: "" };
    const opa = JSON.parse(
      execFileSync(opaBinary(), ["eval", "-f", "json", "-d", join(dir, "p.rego"), "data.rt.rt"], {
        encoding: "utf8",
        env,
      }),
    ) as { result: { expressions: { value: Record<string, unknown> }[] }[] };
    const bundle = join(dir, "b.tar.gz");
    execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", "rt", "-o", bundle, join(dir, "p.rego")], { cwd: dir });
    const policy = await createEvaluator(parseBundle(await unpackBundleArchive(readBundle(bundle))), {
      runtime: runtimeInfo(env, "9.9.9"),
    });
    const ours = (policy.evaluate({}, "rt") as { rt: Record<string, unknown> }).rt;
    const theirs = opa.result[0]?.expressions[0]?.value as Record<string, unknown>;
    expect(ours.version).toBe("9.9.9");
    expect(canonical({ ...ours, version: "" })).toBe(canonical({ ...theirs, version: "" }));
    expect((ours.env as Record<string, string>).MW_RUNTIME_PROBE).toBe(env.MW_RUNTIME_PROBE);
  }, 60_000);
});
