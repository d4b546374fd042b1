// Differential fuzzing of strings.render_template: seeded random templates (fields, constants,
// every predefined function, printf verbs, pipelines, if/with/range/define, trim markers), a share
// of them mutated into syntax errors, rendered on fixed vars by the pinned OPA CLI (`opa eval
// --show-builtin-errors`, one run per chunk) and by Meshward's builtin. Every answer must be OPA's,
// failures with OPA's message; a construct Meshward refuses by name is counted, not failed. The
// suite runs a short seeded variant (render-template-fuzz.test.ts), `npm run fuzz -- --only
// templates` the long one.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { templateBuiltins } from "../../authz-server/src/policy/builtins/template.ts";
import { parseRegoValue } from "../../authz-server/src/policy/rego-value.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { Random } from "../reliability/random.ts";

const VARS =
  '{"a": {"b": "x"}, "m": {"k": 1, "j": [1, 2], "é": "v", "Z": 2, "": 0, "a b": [{"c": null}]}, "n": 42, ' +
  '"f": 1.5, "s": "héllo", "z": null, ' +
  '"arr": [1, "two", null, {"k": "v"}], "t": true, "e": [], "big": 12345678901234567890, "neg": -3}';
const FIELDS = [".a", ".a.b", ".m", ".m.k", ".m.j", ".n", ".f", ".s", ".z", ".missing", ".arr", ".t", ".e", ".big"];
const MORE_FIELDS = [".neg", ".", "$", "$.m.k"];
/** Fields whose evaluation fails (a field of a string, of nil). */
const FAILING_FIELDS = [".a.b.c", ".z.q"];
const CONSTANTS = ["1", "-2", "0", "1.5", "1e3", '"s"', '""', "`r`", "true", "false", "nil", "'x'", "0x1F", "2.0"];
const VERBS = ["%v", "%d", "%s", "%q", "%x", "%5.2f", "%t", "%T", "%v %v", "%-4d|", "%08.3f", "%e", "%g", "%c"];
const MORE_VERBS = ["%U", "%+v", "%#v", "%o", "%X", "% x", "%6.3s", "%[1]v", "%[2]v %[1]d", "%[v", "%#g", "%b", "%*d"];
const FUNCTIONS = ["len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "print"];
const MORE_FUNCTIONS = ["println", "html", "js", "urlquery", "printf", "call"];
/** Operands of one Go kind, with the printf verbs that suit them. */
const ALIKE = [
  { operands: [".s", '"s"', ".a.b", "`r`", '""', "(print .n)"], verbs: ["%s|%q", "%v %x", "%-6s%6.2s"] },
  { operands: [".n", ".m.k", ".big", ".f", ".neg"], verbs: ["%v|%s", "%q %v", "%8v|%-3v"] },
  { operands: ["1", "-2", "0x1F", "(len .arr)", "'x'", "(len .s)"], verbs: ["%d %x", "%+d|%05d", "%c%U", "%o %b"] },
  { operands: ["1.5", "2.0", "1e3", "-0.25"], verbs: ["%f %e", "%.2f|%g", "%8.3e %G"] },
  { operands: ["true", "false", "(not .t)", "(eq 1 1)"], verbs: ["%t %v", "%-7t|"] },
];
const STAGES = ["len", "print", 'printf "%v"', "html", "not", "eq 1", "index .arr", "urlquery", "slice .s"];
const RANGES = [".arr", ".m", ".e", "3", ".z", ".s", ".m.j", ".missing", ".n"];
const MUTATIONS = ["{", "}", "(", ")", "|", "$", ".", "-", " ", '"', "`", "'", ":=", "=", ",", "{{", "}}", "\n"];
const MORE_MUTATIONS = [
  "{{end}}",
  "{{else}}",
  "{{break}}",
  "{{continue}}",
  '{{define "T"}}',
  '{{template "T" .}}',
  "é",
];

class Generator {
  constructor(private readonly rand: Random) {}

  private operand(depth: number): string {
    const r = this.rand.float();
    if (r < 0.03) return this.rand.pick(FAILING_FIELDS);
    if (r < 0.45 || depth > 2) return this.rand.pick([...FIELDS, ...MORE_FIELDS]);
    if (r < 0.75) return this.rand.pick(CONSTANTS);
    return `(${this.command(depth + 1)})`;
  }

  private command(depth: number): string {
    if (this.rand.chance(0.4)) return this.operand(depth);
    // Half the comparisons and printf calls get arguments of one kind, so that more of them render.
    if (this.rand.chance(0.3)) {
      const kind = this.rand.pick(ALIKE);
      const f = this.rand.pick(["eq", "ne", "lt", "le", "gt", "ge", "printf"]);
      const format = f === "printf" ? [JSON.stringify(this.rand.pick(kind.verbs))] : [];
      return [f, ...format, this.rand.pick(kind.operands), this.rand.pick(kind.operands)].join(" ");
    }
    const f = this.rand.pick([...FUNCTIONS, ...MORE_FUNCTIONS]);
    const binary = ["ne", "lt", "le", "gt", "ge"].includes(f) && this.rand.chance(0.8);
    const count = binary ? 2 : this.rand.int(f === "printf" ? 0 : 1, 3);
    const args = Array.from({ length: count }, () => this.operand(depth + 1));
    const format = f === "printf" ? [JSON.stringify(this.rand.pick([...VERBS, ...MORE_VERBS]))] : [];
    return [f, ...format, ...args].join(" ");
  }

  private pipeline(depth: number): string {
    const first = this.command(depth);
    return this.rand.chance(0.25) ? `${first} | ${this.rand.pick(STAGES)}` : first;
  }

  private body(depth: number): string {
    return Array.from({ length: this.rand.int(1, 3) }, () => this.node(depth + 1)).join("");
  }

  private node(depth: number): string {
    const r = this.rand.float();
    const left = this.rand.chance(0.2) ? "{{- " : "{{";
    const right = this.rand.chance(0.2) ? " -}}" : "}}";
    if (r < 0.25) return this.rand.pick(["a", " ", "\n", "é", "x y", "\t"]);
    if (r < 0.7 || depth > 2) return `${left}${this.pipeline(depth)}${right}`;
    const p = () => this.pipeline(depth);
    const small = () => this.rand.int(-1, 5);
    switch (this.rand.pick(["if", "with", "range", "vars", "assign", "loop", "define", "more"])) {
      case "more":
        switch (this.rand.pick(["comment", "elseif", "elsewith", "block", "index", "slice"])) {
          case "comment":
            return this.rand.pick(["{{/* c */}}", "{{- /* c */ -}}", "{{/* a\nb */ -}}", " {{- /**/}}"]);
          case "elseif":
            return `{{if ${p()}}}${this.body(depth)}{{else if ${p()}}}${this.body(depth)}{{else}}${this.body(depth)}{{end}}`;
          case "elsewith":
            return `{{with ${p()}}}${this.body(depth)}{{else with ${p()}}}{{.}}{{end}}`;
          case "block":
            if (depth > 0) return `{{${p()}}}`;
            return `{{block "B${depth}" ${p()}}}${this.body(depth)}{{end}}`;
          case "index":
            return `{{index ${this.rand.pick([".arr", ".s", ".m.j", ".e", ".big"])} ${small()}}}`;
          default:
            return `{{slice ${this.rand.pick([".arr", ".s", ".m.j", ".e", ".big"])} ${small()} ${small()}}}`;
        }
      case "vars":
        return `{{range $i, $e := ${this.rand.pick(RANGES)}}}{{$i}}={{$e}}${this.body(depth)}{{end}}`;
      case "assign":
        return `{{$v := ${p()}}}{{$v}}{{$v = ${p()}}}{{$v}}`;
      case "loop": {
        const control = this.rand.pick(["break", "continue"]);
        return `{{range $e := .arr}}{{if eq (printf "%v" $e) "two"}}{{${control}}}{{end}}${this.body(depth)}{{end}}`;
      }
      case "define":
        // {{define}} stands only at the top level (elsewhere it is a syntax error, which mutations make).
        if (depth > 0) return `{{${p()}}}`;
        return `{{define "T${depth}"}}${this.body(depth)}{{end}}{{template "T${depth}" ${p()}}}`;
      default: {
        const kind = this.rand.pick(["if", "with", "range"]);
        const otherwise = this.rand.chance(0.4) ? `{{else}}${this.body(depth)}` : "";
        const subject = kind === "range" ? this.rand.pick(RANGES) : p();
        return `${left}${kind} ${subject}${right}${this.body(depth)}${otherwise}{{end}}`;
      }
    }
  }

  private mutate(template: string): string {
    let t = template;
    for (let k = this.rand.int(1, 2); k > 0; k--) {
      const at = this.rand.int(0, t.length);
      if (this.rand.chance(0.5) && t.length > 0) t = t.slice(0, at) + t.slice(at + 1);
      else t = t.slice(0, at) + this.rand.pick([...MUTATIONS, ...MORE_MUTATIONS]) + t.slice(at);
    }
    return t;
  }

  template(): string {
    const t = Array.from({ length: this.rand.int(1, 3) }, () => this.node(0)).join("");
    return this.rand.chance(0.25) ? this.mutate(t) : t;
  }
}

export interface TemplateFuzzReport {
  figures: { cases: number; agreed: number; opaFailures: number; refusedByName: number };
  failures: string[];
}

/** `count` templates from `seed`, in chunks of one `opa eval` each, in `dir`. */
export function runTemplateFuzz(count: number, seed: number, dir: string): TemplateFuzzReport {
  const report: TemplateFuzzReport = {
    figures: { cases: 0, agreed: 0, opaFailures: 0, refusedByName: 0 },
    failures: [],
  };
  const vars = parseRegoValue(VARS, { numberLiterals: true });
  const render = templateBuiltins["strings.render_template"]?.impl;
  if (!render) throw new Error("strings.render_template is not provided");
  for (let chunk = 0; chunk * 1000 < count; chunk++) {
    const generator = new Generator(new Random(seed).fork(chunk));
    const templates = Array.from({ length: Math.min(1000, count - chunk * 1000) }, () => generator.template());
    const header = ["package fuzz", ""];
    const rules = templates.map((_, i) => `c${i} := strings.render_template(input.t[${i}], ${VARS})`);
    writeFileSync(join(dir, "fuzz.rego"), [...header, ...rules, ""].join("\n"));
    writeFileSync(join(dir, "input.json"), JSON.stringify({ t: templates }));
    const args = ["eval", "--show-builtin-errors", "-f", "json", "-d", join(dir, "fuzz.rego")];
    const out = execFileSync(opaBinary(), [...args, "-i", join(dir, "input.json"), "data.fuzz"], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const parsed = JSON.parse(out) as {
      result?: { expressions: { value: Record<string, string> }[] }[];
      errors?: { message: string; location: { row: number } }[];
    };
    const values = parsed.result?.[0]?.expressions[0]?.value ?? {};
    const errors = new Map((parsed.errors ?? []).map((e) => [e.location.row - header.length - 1, e.message]));
    templates.forEach((template, i) => {
      report.figures.cases++;
      let ours: { value?: unknown; error?: string };
      try {
        ours = { value: render([template, vars], { nowNs: 0n, memo: new Map() }) };
      } catch (err) {
        ours = { error: (err as Error).message };
      }
      const theirs = { value: values[`c${i}`], error: errors.get(i) };
      if (theirs.error !== undefined) report.figures.opaFailures++;
      if (ours.error?.includes("is not supported by Meshward's Go template implementation")) {
        report.figures.refusedByName++;
      } else if (ours.value === theirs.value && ours.error === theirs.error) report.figures.agreed++;
      else if (report.failures.length < 20) {
        report.failures.push(JSON.stringify({ template, opa: theirs, meshward: ours }));
      }
    });
  }
  return report;
}
