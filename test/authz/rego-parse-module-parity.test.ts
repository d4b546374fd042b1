// rego.parse_module against the pinned OPA CLI: one Rego module holds one rule per case of
// builtin-cases-rego.ts; `opa eval` answers each (OPA's parser; a module it cannot parse is
// undefined) and Meshward evaluates the same policy compiled to Wasm. Answers must be equal rule by
// rule, undefined included, and — called directly — digit for digit in every number literal. A
// module Meshward's parser does not take on must be undefined, never another AST. Then the bounds.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BuiltinError } from "../../authz-server/src/policy/builtins/operands.ts";
import { regoParseBuiltins } from "../../authz-server/src/policy/builtins/rego-parse.ts";
import { MAX_MODULE_LENGTH, MAX_NODES } from "../../authz-server/src/policy/builtins/rego-parser/parse-module.ts";
import type { PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { RawRego, type RegoValue } from "../../authz-server/src/policy/rego-value.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { REGO_MODULE_CASES } from "./builtin-cases-rego.ts";
import { wasmEvaluatorOf } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

const FILENAME = "policy.rego";
const POLICY = [
  "package rp",
  "",
  "import rego.v1",
  "",
  ...REGO_MODULE_CASES.map((_, i) => `c${i} := rego.parse_module("${FILENAME}", input.c${i})`),
  "",
].join("\n");

/** A number literal's text, kept apart from JSON's doubles so digits compare exactly. */
const exactNumbers = (json: string) =>
  JSON.parse(json.replace(/("value":\s*)(-?\d[\d.eE+-]*)/g, '$1{"#number":"$2"}')) as unknown;
const exactOurs = (value: RegoValue | undefined) =>
  value === undefined
    ? undefined
    : JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof RawRego ? { "#number": v.text } : v)));

let opaRaw: Record<string, unknown>;
let opaExact: Record<string, unknown>;
let evaluator: PolicyEvaluator;
let input: Record<string, string>;

beforeAll(async () => {
  const dir = scratchDir("mw-parse-module");
  writeFileSync(join(dir, "rp.rego"), POLICY);
  input = Object.fromEntries(REGO_MODULE_CASES.map((c, i) => [`c${i}`, c.module]));
  writeFileSync(join(dir, "input.json"), JSON.stringify(input));
  const out = execFileSync(
    opaBinary(),
    ["eval", "-f", "json", "-d", join(dir, "rp.rego"), "-i", join(dir, "input.json"), "data.rp"],
    { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] },
  );
  const value = (parsed: unknown) =>
    (parsed as { result: { expressions: { value: Record<string, unknown> }[] }[] }).result[0]?.expressions[0]?.value ??
    {};
  opaRaw = value(JSON.parse(out));
  opaExact = value(exactNumbers(out));
  evaluator = await wasmEvaluatorOf(join(dir, "rp.rego"), "rp");
}, 120_000);

function direct(module: string): { value?: RegoValue; error?: unknown } {
  try {
    return { value: regoParseBuiltins["rego.parse_module"]?.([FILENAME, module], { nowNs: 0n, memo: new Map() }) };
  } catch (error) {
    return { error };
  }
}

describe("rego.parse_module, against the OPA CLI", () => {
  it("has at least 60 modules, both parsed and refused", () => {
    expect(REGO_MODULE_CASES.length).toBeGreaterThanOrEqual(60);
    const answered = REGO_MODULE_CASES.filter((_, i) => opaRaw[`c${i}`] !== undefined).length;
    expect(answered).toBeGreaterThan(80);
    expect(REGO_MODULE_CASES.length - answered).toBeGreaterThan(15);
  });

  it("answers every module as OPA does through a policy compiled to Wasm, undefined included", () => {
    const ours = evaluator.evaluate(input, "rp") as Record<string, unknown>;
    const differences = REGO_MODULE_CASES.map((c, i) => ({
      module: c.module,
      opa: c.unsupported ? undefined : opaRaw[`c${i}`],
      meshward: ours[`c${i}`],
    })).filter((d) => JSON.stringify(sortKeys(d.opa)) !== JSON.stringify(sortKeys(d.meshward)));
    expect(differences).toEqual([]);
  });

  it("keeps every number literal's text as OPA does, and fails (builtin error) where OPA does", () => {
    const differences = REGO_MODULE_CASES.filter((c) => !c.unsupported)
      .map((c) => ({ c, ours: direct(c.module), theirs: opaExact[`c${REGO_MODULE_CASES.indexOf(c)}`] }))
      .filter(({ ours, theirs }) =>
        theirs === undefined
          ? !(ours.error instanceof BuiltinError)
          : JSON.stringify(sortKeys(exactOurs(ours.value))) !== JSON.stringify(sortKeys(theirs)),
      )
      .map(({ c, ours, theirs }) => ({ module: c.module, opa: theirs, meshward: ours.value ?? String(ours.error) }));
    expect(differences).toEqual([]);
  });

  it("refuses, with a builtin error naming the form, each module it does not take on (never another AST)", () => {
    const unsupported = REGO_MODULE_CASES.filter((c) => c.unsupported);
    expect(unsupported.length).toBeGreaterThan(5);
    for (const c of unsupported) {
      expect(opaRaw[`c${REGO_MODULE_CASES.indexOf(c)}`], c.module).toBeDefined();
      const { error } = direct(c.module);
      expect(error, c.module).toBeInstanceOf(BuiltinError);
      expect((error as Error).message, c.module).toMatch(/^rego\.parse_module: .*not supported/);
    }
  });
});

describe("rego.parse_module's bounds, through a compiled policy", () => {
  let policy: PolicyEvaluator;
  beforeAll(async () => {
    const dir = scratchDir("mw-parse-module-bounds");
    writeFileSync(
      join(dir, "p.rego"),
      "package bounds\n\nimport rego.v1\n\nout := rego.parse_module(input.f, input.m)\n",
    );
    policy = await wasmEvaluatorOf(join(dir, "p.rego"), "bounds");
  }, 60_000);

  const parse = (m: string) => (policy.evaluate({ f: FILENAME, m }, "bounds") as { out?: unknown })?.out;
  const nestedArrays = (n: number) => `package x\np := ${"[".repeat(n)}1${"]".repeat(n)}\n`;

  it("parses nesting 150 deep, and refuses (undefined) 30000 deep without exhausting the stack", () => {
    expect(parse(nestedArrays(150))).toBeDefined();
    expect(parse(nestedArrays(30_000))).toBeUndefined();
    expect(direct(nestedArrays(30_000)).error).toBeInstanceOf(BuiltinError);
    expect((direct(nestedArrays(30_000)).error as Error).message).toMatch(/nesting deeper than 200/);
  });

  it("refuses (undefined) long chains of infix operators and of else, which OPA nests, without exhausting the stack", () => {
    const sum = (n: number) => `package x\np := 1${" + 1".repeat(n)}\n`;
    const elses = (n: number) => `package x\np := 0 if { false }${" else := 1 if { false }".repeat(n)}\n`;
    const membership = (n: number) => `package x\np if { 1${" in [1]".repeat(n)} }\n`;
    for (const long of [sum(15_000), elses(2_500), membership(8_000)]) {
      expect(long.length).toBeLessThanOrEqual(MAX_MODULE_LENGTH);
      expect(parse(long)).toBeUndefined();
      expect((direct(long).error as Error).message).toMatch(/nesting deeper than 200/);
    }
    expect(parse(sum(150))).toBeDefined();
    expect(parse(elses(150))).toBeDefined();
  });

  it("refuses (undefined) a 256 KiB module of 8 500 rules, whose answer would be hundreds of MiB of heap", () => {
    const rules = `package x\n${"r if { x := [1, 2]; x[_] > 1 }\n".repeat(8500)}`;
    expect(rules.length).toBeGreaterThan(256 * 1024);
    expect(parse(rules)).toBeUndefined();
    expect((direct(rules).error as Error).message).toMatch(/longer than 65536 characters/);
  });

  it("refuses (undefined) an answer of more than MAX_NODES rules, expressions and terms, and gives one of exactly that", () => {
    const rules = (n: number) => `package x\n${"a\n".repeat(n)}`;
    expect(parse(rules(MAX_NODES))).toBeDefined();
    expect(parse(rules(MAX_NODES + 1))).toBeUndefined();
    expect((direct(rules(MAX_NODES + 1)).error as Error).message).toMatch(
      /more than 20000 rules, expressions and terms/,
    );
  });

  it("refuses (undefined) a module longer than the cap, and parses one just below", () => {
    const padded = (n: number) => `package x\np := "${"a".repeat(n - 18)}"\n`;
    expect(padded(MAX_MODULE_LENGTH).length).toBe(MAX_MODULE_LENGTH);
    expect(parse(padded(MAX_MODULE_LENGTH))).toBeDefined();
    expect(parse(padded(MAX_MODULE_LENGTH + 1))).toBeUndefined();
  });

  it("answers no AST for a module that is not a string (a type error is undefined)", () => {
    expect((policy.evaluate({ f: FILENAME, m: 1 }, "bounds") as { out?: unknown })?.out).toBeUndefined();
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
