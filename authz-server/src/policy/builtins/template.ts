// strings.render_template, by Meshward's own Go text/template (go-template/). Numbers arrive as
// their literal text (OPA hands the template json.Number values). A template error is a builtin
// error (the expression is undefined, as in OPA); a template that hits a limit (output size,
// steps, nesting) stops the evaluation, as a query OPA stops at its deadline would.
import type { BuiltinSpec } from "../wasm-host.ts";
import { BuiltinHalt } from "../wasm-host.ts";
import { renderTemplate } from "./go-template/render.ts";
import { TemplateError, TemplateLimit } from "./go-template/values.ts";
import { fail, str } from "./operands.ts";

export const templateBuiltins: Record<string, BuiltinSpec> = {
  "strings.render_template": {
    numberLiterals: true,
    impl: ([template, vars]) => {
      const text = str(template, "strings.render_template");
      try {
        return renderTemplate(text, vars);
      } catch (err) {
        if (err instanceof TemplateLimit) throw new BuiltinHalt(err.message);
        if (err instanceof TemplateError) fail(`strings.render_template: ${err.message}`);
        throw err;
      }
    },
  },
};
