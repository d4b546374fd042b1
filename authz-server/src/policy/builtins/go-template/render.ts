// strings.render_template(template, vars) as OPA answers it: Go's text/template parses the
// template and executes it on the vars (decoded as OPA decodes them, from-rego.ts), with the
// default missing-key behaviour, and OPA then writes "<undefined>" wherever the output says
// "<no value>". Parse and execution errors are builtin errors; limits stop the evaluation.
// Policies render the same few templates again and again, so parsed ones are remembered (a small
// cache of short templates; a parse tree is never changed by execution).
import type { RegoValue } from "../../rego-value.ts";
import { type ExecutionLimits, Executor } from "./executor.ts";
import { templateData } from "./from-rego.ts";
import { parseTemplate, type Templates } from "./parser.ts";

export const DEFAULT_LIMITS: ExecutionLimits = { maxOutput: 1 << 20, maxSteps: 1_000_000, maxDepth: 100 };

const CACHED_TEMPLATES = 64;
const CACHED_TEMPLATE_LENGTH = 16 * 1024;
const parsed = new Map<string, Templates>();

function parseRemembered(template: string): Templates {
  const known = parsed.get(template);
  if (known) return known;
  const templates = parseTemplate(template);
  if (template.length <= CACHED_TEMPLATE_LENGTH) {
    if (parsed.size >= CACHED_TEMPLATES) parsed.delete(parsed.keys().next().value as string);
    parsed.set(template, templates);
  }
  return templates;
}

export function renderTemplate(template: string, vars: RegoValue | undefined, limits = DEFAULT_LIMITS): string {
  const data = templateData(vars);
  const output = new Executor(template, parseRemembered(template), limits).run(data);
  return output.replaceAll("<no value>", "<undefined>");
}
