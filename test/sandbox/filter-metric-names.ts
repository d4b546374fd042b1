// The metric names a filter defines, read from its AssemblyScript glue at test time, so that checks
// against them follow the filter's code as it changes. Every `Metric.counter|gauge|histogram(expr)`
// in `filters/<name>/*.ts` (the glue; `lib/` holds no host calls) gives one name template: `expr` is
// split on top-level `+`; string literals are kept, identifiers are resolved through the nearest
// preceding `const|let <id> = <expr>;` in the same file (recursively), and anything else (a call, a
// parameter such as a rule name or an endpoint address) becomes the wildcard `*`. A call inside a
// small helper (`function counterOf(group: string, …) { return Metric.counter(PREFIX + group …) }`)
// gives one template per call of that helper in the file, its parameters bound to the arguments.
// `prometheusName` turns a template into the name Envoy's /stats/prometheus shows (no `envoy_`
// prefix, every character outside [A-Za-z0-9_:] replaced by `_`; docs/host-quirks.md).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface MetricTemplate {
  kind: "counter" | "gauge" | "histogram";
  /** Envoy stat name with `*` for parts only known at run time, e.g. `meshward.traffic_shaper.rule.*.limited`. */
  template: string;
  file: string;
}

/** Splits on `separator` (`+` between terms, `,` between arguments) outside strings and brackets. */
function splitTopLevel(expr: string, separator: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] as string;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === separator && depth === 0) {
      terms.push(expr.slice(start, i).trim());
      start = i + 1;
    }
  }
  terms.push(expr.slice(start).trim());
  return terms;
}

function resolve(
  source: string,
  expr: string,
  before: number,
  bindings: Record<string, string> = {},
  depth = 0,
): string {
  return splitTopLevel(expr, "+")
    .map((term) => {
      const literal = /^(["'])((?:[^\\]|\\.)*?)\1$/.exec(term);
      if (literal) return literal[2] as string;
      const bound = bindings[term];
      if (bound !== undefined) return bound;
      if (depth < 8 && /^[A-Za-z_$][\w$]*$/.test(term)) {
        const declaration = new RegExp(`\\b(?:const|let)\\s+${term}\\s*(?::[^=]+)?=\\s*([^;]+);`, "g");
        let found: RegExpExecArray | undefined;
        for (const m of source.matchAll(declaration)) if (m.index < before) found = m;
        if (found) return resolve(source, found[1] as string, found.index, {}, depth + 1);
      }
      return "*";
    })
    .join("")
    .replace(/\*+/g, "*");
}

/** The argument text of the call whose `(` is at `open`, or undefined when unbalanced. */
function callArgument(source: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(") depth++;
    else if (source[i] === ")" && --depth === 0) return source.slice(open + 1, i);
  }
  return undefined;
}

/** The helper function whose body holds `index`: its name, parameter names and body span. */
function enclosingFunction(source: string, index: number): { name: string; params: string[] } | undefined {
  let result: { name: string; params: string[] } | undefined;
  for (const m of source.matchAll(/\bfunction\s+([A-Za-z_$][\w$]*)\s*\(([^)]*)\)[^{]*\{/g)) {
    if (m.index > index) break;
    let depth = 0;
    let end = source.length;
    for (let i = m.index + m[0].length - 1; i < source.length; i++) {
      if (source[i] === "{") depth++;
      else if (source[i] === "}" && --depth === 0) {
        end = i;
        break;
      }
    }
    if (index < end) {
      const params = (m[2] as string).split(",").map((p) => p.split(":")[0]?.trim() ?? "");
      result = { name: m[1] as string, params: params.filter((p) => p !== "") };
    }
  }
  return result;
}

export function metricTemplates(source: string, file = ""): MetricTemplate[] {
  const out: MetricTemplate[] = [];
  for (const m of source.matchAll(/\bMetric\.(counter|gauge|histogram)\s*\(/g)) {
    const arg = callArgument(source, m.index + m[0].length - 1);
    if (arg === undefined) continue;
    const kind = m[1] as MetricTemplate["kind"];
    const helper = enclosingFunction(source, m.index);
    const calls = helper ? [...source.matchAll(new RegExp(`(?<!function\\s+)\\b${helper.name}\\s*\\(`, "g"))] : [];
    if (!helper || calls.length === 0) {
      out.push({ kind, template: resolve(source, arg, m.index), file });
      continue;
    }
    for (const call of calls) {
      const args = splitTopLevel(callArgument(source, call.index + call[0].length - 1) ?? "", ",");
      const bindings: Record<string, string> = {};
      helper.params.forEach((param, i) => {
        bindings[param] = resolve(source, args[i] ?? "", call.index);
      });
      out.push({ kind, template: resolve(source, arg, m.index, bindings), file });
    }
  }
  return out;
}

/** Templates of every metric the filter's glue in `filters/<name>/` defines (none if absent). */
export function filterMetricTemplates(root: string, name: string): MetricTemplate[] {
  const dir = join(root, "filters", name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => metricTemplates(readFileSync(join(dir, f), "utf8"), join("filters", name, f)));
}

export function prometheusName(template: string): string {
  return template.replace(/[^A-Za-z0-9_:*]/g, "_");
}
