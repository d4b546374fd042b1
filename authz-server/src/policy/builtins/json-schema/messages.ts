// gojsonschema's texts (its DefaultLocale) for the two kinds of failure OPA reports: a schema that
// does not compile (json.verify_schema's [false, "jsonschema: <text>"], json.match_schema's error),
// and a document that does not match (the {error, type, field, desc} objects). Pure.

/** A schema gojsonschema refuses to compile, with its text. */
export class InvalidSchema extends Error {}

export function invalid(text: string): never {
  throw new InvalidSchema(text);
}

/** "Invalid type" with gojsonschema's argument order, which at some call sites names the keyword
 *  as the expected type (`invalidType(KeyType, ...)`): the text is kept as OPA prints it. */
export function invalidType(expected: string, given: string): never {
  invalid(`Invalid type. Expected: ${expected}, given: ${given}`);
}
export function mustBeOfA(x: string, y: string): never {
  invalid(`${x} must be of a ${y}`);
}
export function mustBeOfAn(x: string, y: string): never {
  invalid(`${x} must be of an ${y}`);
}
export function mustBeOfType(key: string, type: string): never {
  invalid(`${key} must be of type ${type}`);
}

export const VALID_SCHEMA = "Valid Schema";
export const PARSE_ERROR = `Expected: ${VALID_SCHEMA}, given: Invalid JSON`;

/** One validation error as OPA's json.match_schema answers it. */
export interface MatchError {
  error: string;
  type: string;
  field: string;
  desc: string;
}

/** Where in the document: property names and array indexes below the root. */
export interface Path {
  readonly head: string;
  readonly parent?: Path;
}

/** gojsonschema's Field(): the context "(Root).a.b" without "(Root).", or "(Root)" itself. */
export function fieldOf(path: Path | undefined): string {
  if (path === undefined) return "(Root)";
  const parts: string[] = [];
  for (let p: Path | undefined = path; p !== undefined; p = p.parent) parts.push(p.head);
  return parts.reverse().join(".");
}

export function matchError(type: string, path: Path | undefined, desc: (field: string) => string): MatchError {
  const field = fieldOf(path);
  const text = desc(field);
  return { error: `${field}: ${text}`, type, field, desc: text };
}
