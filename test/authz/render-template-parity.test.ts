// strings.render_template against the pinned OPA CLI: one Rego module holds one rule per case of
// builtin-cases-template.ts; `opa eval --show-builtin-errors` answers each (Go's text/template;
// a failing call is undefined and its message listed) and Meshward evaluates the same module
// compiled to Wasm. Answers must be equal rule by rule, undefined included; where OPA fails, the
// message of Meshward's builtin (called directly with the argument the Wasm host would pass) must
// be OPA's. Then the bounds: a template that would run away stops the evaluation.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { templateBuiltins } from "../../authz-server/src/policy/builtins/template.ts";
import type { PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { parseRegoValue } from "../../authz-server/src/policy/rego-value.ts";
import type { EvaluationContext } from "../../authz-server/src/policy/wasm-host.ts";
import { addRawJsonSlots, type RawJsonSlot } from "../../authz-server/src/translate/raw-json.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { NumberText, TEMPLATE_CASES, type TemplateCase } from "./builtin-cases-template.ts";
import { wasmEvaluatorOf } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

/** JSON with bigints and NumberTexts written as their literal text (numbers a double cannot hold,
 *  or digits a double would not keep). */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === "bigint") return `@@${v}@@`;
    return v instanceof NumberText ? `@@${v.text}@@` : v;
  }).replace(/"@@([-+.\dEe]+)@@"/g, "$1");
}

const HEADER = ["package tpl", "", "import rego.v1", ""];
const ruleOf = (c: TemplateCase, i: number) =>
  `c${i} := strings.render_template(input.c${i}.t, ${c.rego ?? `input.c${i}.v`})`;

interface OpaAnswers {
  values: Record<string, unknown>;
  /** The builtin error message of each failing case, by case index. */
  errors: Map<number, string>;
}

function opaEval(dir: string): OpaAnswers {
  const out = execFileSync(
    opaBinary(),
    [
      "eval",
      "--show-builtin-errors",
      "-f",
      "json",
      "-d",
      join(dir, "tpl.rego"),
      "-i",
      join(dir, "input.json"),
      "data.tpl",
    ],
    { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] },
  );
  const parsed = JSON.parse(out) as {
    result: { expressions: { value: Record<string, unknown> }[] }[];
    errors?: { message: string; location: { row: number } }[];
  };
  const errors = new Map<number, string>();
  for (const e of parsed.errors ?? []) errors.set(e.location.row - HEADER.length - 1, e.message);
  return { values: parsed.result[0]?.expressions[0]?.value ?? {}, errors };
}

/** Meshward's builtin called as the Wasm host calls it: the answer, or the failure's message. */
function direct(c: TemplateCase): { value?: unknown; error?: string } {
  const vars = parseRegoValue(c.value ?? json(c.vars), { numberLiterals: true });
  const context: EvaluationContext = { nowNs: 0n, memo: new Map() };
  try {
    return { value: templateBuiltins["strings.render_template"]?.impl([c.template, vars], context) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** `value` for the evaluator: each bigint as a raw JSON slot, so the policy sees its digits. */
function withExactIntegers(value: Record<string, unknown>): object {
  const slots: RawJsonSlot[] = [];
  const copy = (v: unknown, holder?: object, key?: string): unknown => {
    if (typeof v === "bigint" || v instanceof NumberText) {
      const text = v instanceof NumberText ? v.text : v.toString();
      slots.push({ holder: holder as object, key: key as string, text });
      return Number(text);
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const [i, item] of v.entries()) out.push(copy(item, out, String(i)));
      return out;
    }
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = copy(item, out, k);
      return out;
    }
    return v;
  };
  const result = copy(value) as object;
  addRawJsonSlots(result, slots);
  return result;
}

let opa: OpaAnswers;
let evaluator: PolicyEvaluator;
let input: Record<string, unknown>;

beforeAll(async () => {
  const dir = scratchDir("mw-template");
  const module = [...HEADER, ...TEMPLATE_CASES.map(ruleOf), ""].join("\n");
  writeFileSync(join(dir, "tpl.rego"), module);
  input = Object.fromEntries(TEMPLATE_CASES.map((c, i) => [`c${i}`, { t: c.template, v: c.vars ?? {} }]));
  writeFileSync(join(dir, "input.json"), json(input));
  opa = opaEval(dir);
  evaluator = await wasmEvaluatorOf(join(dir, "tpl.rego"), "tpl");
}, 120_000);

describe("strings.render_template, against the OPA CLI", () => {
  it("has at least 80 cases, both answers and failures", () => {
    expect(TEMPLATE_CASES.length).toBeGreaterThanOrEqual(80);
    const answered = TEMPLATE_CASES.filter((_, i) => opa.values[`c${i}`] !== undefined).length;
    expect(answered).toBeGreaterThan(60);
    expect(opa.errors.size).toBeGreaterThan(40);
  });

  it("answers every case as OPA does through a policy compiled to Wasm, failures (undefined) included", () => {
    const ours = evaluator.evaluate(withExactIntegers(input), "tpl") as Record<string, unknown>;
    const differences = TEMPLATE_CASES.map((c, i) => ({
      template: c.template,
      opa: c.unsupported ? undefined : opa.values[`c${i}`],
      meshward: ours[`c${i}`],
    })).filter((d) => d.opa !== d.meshward);
    expect(differences).toEqual([]);
  });

  it("fails where OPA fails, with OPA's message", () => {
    const differences = TEMPLATE_CASES.filter((c) => !c.unsupported)
      .map((c) => ({ c, i: TEMPLATE_CASES.indexOf(c), ours: direct(c) }))
      .map(({ c, i, ours }) => ({ c, i, ours, theirs: opa.errors.get(i) }))
      .filter(({ c, ours, theirs, i }) => {
        if (theirs === undefined) return ours.error !== undefined || ours.value !== opa.values[`c${i}`];
        if (ours.error === undefined) return true;
        return !c.anyMessage && ours.error !== theirs;
      })
      .map(({ c, ours, theirs }) => ({ template: c.template, opa: theirs, meshward: ours.error ?? ours.value }));
    expect(differences).toEqual([]);
  });

  it("refuses, naming it, each construct it does not implement (never another answer)", () => {
    for (const c of TEMPLATE_CASES.filter((c) => c.unsupported)) {
      expect(direct(c).error, c.template).toMatch(/is not supported by Meshward's Go template implementation/);
    }
  });
});

describe("strings.render_template's bounds, through a compiled policy", () => {
  let policy: PolicyEvaluator;
  beforeAll(async () => {
    const dir = scratchDir("mw-template-bounds");
    writeFileSync(
      join(dir, "p.rego"),
      "package bounds\n\nimport rego.v1\n\nout := strings.render_template(input.t, input.v)\n",
    );
    policy = await wasmEvaluatorOf(join(dir, "p.rego"), "bounds");
  }, 60_000);

  const render = (t: string, v: unknown = {}) => (policy.evaluate({ t, v }, "bounds") as { out?: string })?.out;
  const items = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("stops a template whose loops would run for minutes (OPA would run it to the query's deadline)", () => {
    const nested = "{{range .a}}{{range $.a}}{{range $.a}}{{end}}{{end}}{{end}}";
    expect(() => render(nested, { a: items(200) })).toThrow(/more than 1000000 evaluation steps/);
    expect(() => render("{{range 1000000000000}}{{end}}")).toThrow(/more than 1000000 evaluation steps/);
    expect(render(nested, { a: items(20) })).toBe("");
  });

  it("stops a template whose output would pass 1 MiB, and renders one below", () => {
    const repeat = "{{range .a}}{{$.s}}{{end}}";
    const s = "x".repeat(100_000);
    expect(() => render(repeat, { a: items(11), s })).toThrow(/output longer than 1048576 characters/);
    expect(render(repeat, { a: items(10), s })).toBe(s.repeat(10));
  });

  it("nests 1000 deep and stops beyond, without exhausting the stack", () => {
    const ifs = (n: number) => `${"{{if true}}".repeat(n)}deep${"{{end}}".repeat(n)}`;
    const parens = (n: number) => `{{${"(".repeat(n)}1${")".repeat(n)}}}`;
    expect(render(ifs(999))).toBe("deep");
    expect(render(parens(999))).toBe("1");
    expect(() => render(ifs(1001))).toThrow(/template nesting deeper than 1000/);
    expect(() => render(parens(5000))).toThrow(/template nesting deeper than 1000/);
  });

  it("fails, as Go does, a template that calls itself without end", () => {
    expect(render('{{define "R"}}{{template "R" .}}{{end}}{{template "R" 1}}')).toBeUndefined();
  });
});
