// rego.parse_module's answer: the module's AST as OPA's JSON, with its comments (position and
// base64 text, as OPA marshals a Comment's []byte) when it has any. Bounded: the text's length and
// the nesting depth are capped, beyond which, as for anything not supported, a RegoParseError.
import type { RegoValue } from "../../rego-value.ts";
import { RegoParseError, tokenize } from "./lexer.ts";
import { ModuleParser } from "./module-parser.ts";
import { TokenCursor } from "./token-cursor.ts";

/** Longest module text parsed, in UTF-16 code units. The answer is far larger than the text (a
 *  64 KiB module of small rules is ~2 000 rules and a few MiB of AST written into the policy's
 *  memory, ~0.1 s of a check); at 1 MiB one call held the event loop for seconds and took the
 *  process past the Deployment's 512 MiB. */
export const MAX_MODULE_LENGTH = 64 * 1024;
/** Most rules, body expressions and terms (operator calls included) in one answer. */
export const MAX_NODES = 20_000;
/** Deepest nesting of terms, bodies, `else` chains and infix operator chains (OPA nests each). */
export const MAX_NESTING = 200;

export function parseModule(filename: string, source: string): { [key: string]: RegoValue } {
  if (source.length > MAX_MODULE_LENGTH) {
    throw new RegoParseError(`a module longer than ${MAX_MODULE_LENGTH} characters`);
  }
  const { tokens, comments } = tokenize(source);
  const module = new ModuleParser(new TokenCursor(tokens, MAX_NESTING, MAX_NODES)).module();
  if (comments.length > 0) {
    module.comments = comments.map((c) => ({
      Location: { file: filename, row: c.row, col: c.col },
      Text: Buffer.from(c.text).toString("base64"),
    }));
  }
  return module;
}

export { RegoParseError };
