// JSON request bodies (and JSON multipart parts) read the way opa-envoy-plugin reads them: OPA's
// util.UnmarshalJSON, i.e. Go's encoding/json with UseNumber. Three things differ from JSON.parse:
//   - numbers keep their literal: `12345678901234567890` stays that number in OPA, where a JS
//     number rounds it to 12345678901234567000. When the text may hold such a number, the text
//     itself is kept (`exactText`) and reaches the Wasm policy in place of the value, whose own
//     parser keeps the literal (raw-json.ts), so `input.parsed_body.big == 12345678901234567890`
//     holds as in OPA;
//   - an escaped lone UTF-16 surrogate (`"\ud800"`) becomes U+FFFD, as Go decodes it; OPA's Wasm
//     parser would refuse the whole input;
//   - nesting deeper than Go's limit (10000) is an error. A body nested deeper than 1000 levels is
//     also passed as text: JSON.stringify (the SDK's way to the policy) recurses and overflows the
//     stack long before Go's limit, while OPA's Wasm parser takes 10000 levels.
// Meshward lowers the depth limit by default (the caller passes it; policy.maxBodyDepth): at
// 10000 levels a policy that walks the body (`walk`) held the event loop for seconds, and one that
// serialises it (`json.marshal`, returning the input) overflowed the Wasm evaluator's stack.
// Pure.

export interface ParsedJson {
  value: unknown;
  /** The text to hand the policy instead of `value`, when `value` may have lost a number's digits. */
  exactText?: string;
}

/** Go's encoding/json refuses nesting deeper than this. */
export const MAX_JSON_DEPTH = 10_000;
/** Deeper values reach the policy as text (see the top of this file). */
const TEXT_DEPTH = 1_000;

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** Escapes, one at a time from the left (so `\\ud800` is an escaped backslash, not an escape): a
 *  surrogate pair, a lone surrogate, or any other escape. */
const ESCAPE = /\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[dD][89a-fA-F][0-9a-fA-F]{2}|[\s\S])/g;
/** A number a double may not hold exactly: 16 or more digits (a dot may sit among them), or an
 *  exponent of three digits (overflow, underflow). Also matches inside strings, which only costs
 *  the exact path. */
const MAY_LOSE_DIGITS = /\d(?:\.?\d){15}|[eE][+-]?\d{3}/;

function replaceLoneSurrogates(text: string): string {
  return text.replace(ESCAPE, (sequence) => (sequence.length === 6 && sequence[1] === "u" ? "\\ufffd" : sequence));
}

/** Whether `text` holds `atLeast` opening brackets: indexOf skips the text between them, so a body
 *  with few brackets costs a few calls, not a loop over its characters. */
function hasOpenings(text: string, atLeast: number): boolean {
  let open = 0;
  for (const bracket of ["[", "{"]) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) if (++open >= atLeast) return true;
  }
  return false;
}

/** The nesting depth, counted outside strings; 0 when the text has too few brackets to reach
 *  `atLeast` (the common case costs one pass over the characters). */
export function nestingDepth(text: string, atLeast: number): number {
  if (text.length < 2 * atLeast || !hasOpenings(text, atLeast)) return 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Parses JSON text as OPA does; throws SyntaxError on malformed text or nesting deeper than
 *  `maxDepth` (at most Go's limit). */
export function parseJsonText(text: string, maxDepth = MAX_JSON_DEPTH): ParsedJson {
  const limit = Math.min(maxDepth, MAX_JSON_DEPTH);
  const fixed = SURROGATE_ESCAPE.test(text) ? replaceLoneSurrogates(text) : text;
  const value: unknown = JSON.parse(fixed);
  const depth = nestingDepth(fixed, Math.min(TEXT_DEPTH, limit + 1));
  if (depth > limit) throw new SyntaxError(`exceeded max depth of ${limit}`);
  return depth > TEXT_DEPTH || MAY_LOSE_DIGITS.test(fixed) ? { value, exactText: fixed } : { value };
}
