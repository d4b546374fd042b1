// strings.render_template(template, vars) as OPA answers it: Go's text/template parses the
// template and executes it on the vars (decoded as OPA decodes them, from-rego.ts), with the
// default missing-key behaviour, and OPA then writes "<undefined>" wherever the output says
// "<no value>". Parse and execution errors are builtin errors; limits stop the evaluation. Pure.
import type { RegoValue } from "../../rego-value.ts";
import { type ExecutionLimits, Executor } from "./executor.ts";
import { templateData } from "./from-rego.ts";
import { parseTemplate } from "./parser.ts";

export const DEFAULT_LIMITS: ExecutionLimits = { maxOutput: 1 << 20, maxSteps: 1_000_000, maxDepth: 100 };

export function renderTemplate(template: string, vars: RegoValue | undefined, limits = DEFAULT_LIMITS): string {
  const data = templateData(vars);
  const templates = parseTemplate(template);
  const output = new Executor(template, templates, limits).run(data);
  return output.replaceAll("<no value>", "<undefined>");
}
