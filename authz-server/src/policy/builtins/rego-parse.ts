// rego.parse_module, by Meshward's own Rego parser (rego-parser/): OPA's AST JSON for the forms
// checked against the OPA CLI. A module OPA would not parse, or one using a form not supported,
// is a builtin error (the expression is undefined, as for OPA's parse errors): never another AST.

import type { Builtin } from "../wasm-host.ts";
import { fail, str } from "./operands.ts";
import { parseModule, RegoParseError } from "./rego-parser/parse-module.ts";

export const regoParseBuiltins: Record<string, Builtin> = {
  "rego.parse_module": ([filename, text]) => {
    const name = str(filename, "rego.parse_module");
    const source = str(text, "rego.parse_module");
    try {
      return parseModule(name, source);
    } catch (err) {
      if (err instanceof RegoParseError) fail(`rego.parse_module: ${err.message}`);
      throw err;
    }
  },
};
