// A schema document compiled as gojsonschema's Schema.parse compiles it (OPA's json.verify_schema
// and json.match_schema): keyword by keyword in its order, so the first problem found is the one
// OPA reports, with its text. $ref follows its reference pool: the first time a reference is met
// its target is compiled and the node's other keywords are skipped; later it is taken from the
// pool and the node's other keywords are still read (and can still be wrong).
// Fail closed: a keyword with validation meaning that gojsonschema ignores (newer drafts'), a
// format it checks that formats.ts does not reproduce, a non-local $ref or a nested $id makes the
// builtin fail (undefined → the policy denies) instead of accepting what OPA might refuse.
// Bounded: recursion stops at MAX_SCHEMA_DEPTH with a failure.
import { fail } from "../operands.ts";
import { canonicalText } from "./canonical.ts";
import { checkIdentifiers, detectDraft } from "./draft.ts";
import { checkFormatSupported } from "./formats.ts";
import { isObject, type JsonNode, type JsonObject } from "./json-node.ts";
import { getSlice, getString, integerOf, numberOf, regexOf } from "./keyword-values.ts";
import { invalid, invalidType, mustBeOfA, mustBeOfAn, mustBeOfType, PARSE_ERROR, VALID_SCHEMA } from "./messages.ts";
import { checkLocalRef, resolvePointer } from "./refs.ts";
import { emptySchema, HYBRID, type SubSchema } from "./sub-schema.ts";

/** Deepest nesting of schemas (through $ref included) compiled before the builtin fails. */
export const MAX_SCHEMA_DEPTH = 256;

/** Keywords of later drafts that gojsonschema ignores; they would change the answer. */
const UNSUPPORTED_KEYWORDS = [
  "$anchor",
  "$dynamicAnchor",
  "$dynamicRef",
  "$recursiveAnchor",
  "$recursiveRef",
  "dependentRequired",
  "dependentSchemas",
  "maxContains",
  "minContains",
  "prefixItems",
  "unevaluatedItems",
  "unevaluatedProperties",
];

const JSON_TYPES = ["array", "boolean", "integer", "number", "null", "object", "string"];
const SCHEMA_LIST = "Array Of Schemas";
const BOOL_OR_SCHEMA = `boolean/${VALID_SCHEMA}`;

class Compiler {
  private readonly refs = new Map<string, SubSchema>();

  constructor(private readonly root: JsonNode) {}

  parse(node: JsonNode, draft: number, depth: number): SubSchema {
    if (depth > MAX_SCHEMA_DEPTH) fail(`json schema: schemas nested deeper than ${MAX_SCHEMA_DEPTH}`);
    const s = emptySchema(draft);
    if (draft >= 6 && typeof node === "boolean") {
      s.pass = node;
      return s;
    }
    if (!isObject(node)) return invalid(PARSE_ERROR);
    for (const keyword of UNSUPPORTED_KEYWORDS) {
      if (node.has(keyword)) fail(`json schema: keyword ${keyword} is not supported`);
    }
    const child = (value: JsonNode) => this.parse(value, draft, depth + 1);
    getString(node, draft === 4 ? "id" : draft === HYBRID && node.has("id") ? "id" : "$id");
    this.definitions(node, child);
    getString(node, "title");
    getString(node, "description");
    const ref = getString(node, "$ref");
    if (ref !== undefined) {
      checkLocalRef(ref);
      const known = this.refs.get(ref);
      if (known === undefined) {
        s.ref = this.reference(ref, draft, depth);
        return s;
      }
      s.ref = known;
    }
    this.types(node, s);
    this.objectKeywords(node, s, child);
    this.arrayChildren(node, s, child);
    this.numberKeywords(node, s);
    this.stringKeywords(node, s);
    this.countKeywords(node, s);
    this.valueKeywords(node, s, child);
    this.combinators(node, s, child);
    return s;
  }

  private reference(ref: string, draft: number, depth: number): SubSchema {
    const target = emptySchema(draft);
    this.refs.set(ref, target); // before compiling it, so that a reference to itself ends here
    const node = resolvePointer(this.root, ref);
    if (typeof node !== "boolean" && !isObject(node)) return mustBeOfType(VALID_SCHEMA, "object");
    Object.assign(target, this.parse(node, draft, depth + 1));
    return target;
  }

  private definitions(m: JsonObject, child: (v: JsonNode) => SubSchema): void {
    const defs = m.get("definitions");
    if (defs === undefined) return;
    if (!isObject(defs)) invalidType(SCHEMA_LIST, "definitions");
    for (const value of defs.values()) {
      if (typeof value !== "boolean" && !isObject(value)) invalidType(SCHEMA_LIST, "definitions");
      child(value);
    }
  }

  private types(m: JsonObject, s: SubSchema): void {
    const type = m.get("type");
    if (type === undefined) return;
    const names = typeof type === "string" ? [type] : Array.isArray(type) ? type : undefined;
    if (names === undefined) invalidType("type", "string/Array Of Strings");
    for (const name of names) {
      if (typeof name !== "string") invalidType("type", "string/Array Of Strings");
      if (!JSON_TYPES.includes(name)) {
        invalid(
          `has a primitive type that is NOT VALID -- given: /${name}/ Expected valid values are:[${JSON_TYPES.join(" ")}]`,
        );
      }
      if (s.types.includes(name)) invalid(`${name} type is duplicated`);
      s.types.push(name);
    }
  }

  private objectKeywords(m: JsonObject, s: SubSchema, child: (v: JsonNode) => SubSchema): void {
    const properties = m.get("properties");
    if (properties !== undefined) {
      if (!isObject(properties)) mustBeOfType("Properties", "object");
      for (const [name, value] of properties) s.properties.push([name, child(value)]);
    }
    const additional = m.get("additionalProperties");
    if (additional !== undefined) {
      if (typeof additional === "boolean") s.additionalProperties = additional;
      else if (isObject(additional)) s.additionalProperties = child(additional);
      else invalidType(BOOL_OR_SCHEMA, "additionalProperties");
    }
    const patterns = m.get("patternProperties");
    if (patterns !== undefined) {
      if (!isObject(patterns)) invalidType(VALID_SCHEMA, "patternProperties");
      for (const [source, value] of patterns) {
        const re = regexOf(source);
        if (re === undefined) invalid(`Invalid regex pattern '${source}'`);
        s.patternProperties.push([{ source, re }, child(value)]);
      }
    }
    const names = m.get("propertyNames");
    if (names !== undefined && s.draft >= 6) {
      if (typeof names !== "boolean" && !isObject(names)) invalidType(VALID_SCHEMA, "patternProperties");
      s.propertyNames = child(names);
    }
    const dependencies = m.get("dependencies");
    if (dependencies !== undefined) {
      if (!isObject(dependencies)) mustBeOfType("dependencies", "object");
      for (const [key, value] of dependencies) {
        if (Array.isArray(value)) {
          if (!value.every((v) => typeof v === "string")) mustBeOfType("Dependency", "Schema Or Array Of Strings");
          if (value.length > 0) s.dependencies.push([key, value as string[]]);
        } else if (typeof value === "boolean" || isObject(value)) s.dependencies.push([key, child(value)]);
        else mustBeOfType("Dependency", "Schema Or Array Of Strings");
      }
    }
  }

  private arrayChildren(m: JsonObject, s: SubSchema, child: (v: JsonNode) => SubSchema): void {
    const items = m.get("items");
    if (items !== undefined) {
      const isSchema = (v: JsonNode) => typeof v === "boolean" || isObject(v);
      if (Array.isArray(items)) {
        for (const item of items) {
          if (!isSchema(item)) invalidType(`${VALID_SCHEMA}/${SCHEMA_LIST}`, "items");
          s.items.push(child(item));
        }
      } else if (isSchema(items)) {
        s.items.push(child(items));
        s.itemsIsSingleSchema = true;
      } else invalidType(`${VALID_SCHEMA}/${SCHEMA_LIST}`, "items");
    }
    const additional = m.get("additionalItems");
    if (additional !== undefined) {
      if (typeof additional === "boolean") s.additionalItems = additional;
      else if (isObject(additional)) s.additionalItems = child(additional);
      else invalidType(BOOL_OR_SCHEMA, "additionalItems");
    }
  }

  private numberKeywords(m: JsonObject, s: SubSchema): void {
    const multipleOf = m.get("multipleOf");
    if (multipleOf !== undefined) {
      const d = numberOf(multipleOf, "multipleOf");
      if (d === undefined) invalidType("Number", "multipleOf");
      if (d.mantissa <= 0n) invalid("multipleOf must be strictly greater than 0");
      s.multipleOf = d;
    }
    for (const [limit, exclusive] of [
      ["minimum", "exclusiveMinimum"],
      ["maximum", "exclusiveMaximum"],
    ] as const) {
      const value = m.get(limit);
      if (value !== undefined) {
        const d = numberOf(value, limit);
        if (d === undefined) mustBeOfA(limit, "Number");
        s[limit] = d;
      }
      const flag = m.get(exclusive);
      if (flag === undefined) continue;
      const numeric = s.draft !== 4 ? numberOf(flag, exclusive) : undefined;
      if (typeof flag === "boolean" && (s.draft === 4 || s.draft === HYBRID)) {
        if (s[limit] === undefined) invalid(`${exclusive} cannot be used without ${limit}`);
        if (flag) {
          s[exclusive] = s[limit];
          s[limit] = undefined;
        }
      } else if (numeric !== undefined) s[exclusive] = numeric;
      else invalidType(s.draft === 4 ? "boolean" : s.draft === HYBRID ? "boolean/number" : "number", exclusive);
    }
  }

  private stringKeywords(m: JsonObject, s: SubSchema): void {
    this.counts(m, s, "minLength", "maxLength", `minLength cannot be greater than maxLength`);
    const pattern = getString(m, "pattern");
    if (pattern !== undefined) {
      const re = regexOf(pattern);
      if (re === undefined) invalid("pattern must be a valid regex");
      s.pattern = { source: pattern, re };
    }
    const format = getString(m, "format");
    if (format !== undefined) {
      checkFormatSupported(format);
      s.format = format;
    }
  }

  private countKeywords(m: JsonObject, s: SubSchema): void {
    this.counts(m, s, "minProperties", "maxProperties", "minProperties cannot be greater than maxProperties");
    for (const name of getSlice(m, "required") ?? []) {
      if (typeof name !== "string") invalidType("string", "required");
      if (s.required.includes(name)) invalid("required items must be unique");
      s.required.push(name);
    }
    this.counts(m, s, "minItems", "maxItems");
    const unique = m.get("uniqueItems");
    if (unique !== undefined) {
      if (typeof unique !== "boolean") mustBeOfA("uniqueItems", "boolean");
      s.uniqueItems = unique;
    }
  }

  /** A min/max pair of counts: plain non-negative integers, min ≤ max when `order` says so. */
  private counts(
    m: JsonObject,
    s: SubSchema,
    min: "minLength" | "minProperties" | "minItems",
    max: "maxLength" | "maxProperties" | "maxItems",
    order?: string,
  ): void {
    for (const key of [min, max]) {
      const value = m.get(key);
      if (value === undefined) continue;
      const n = integerOf(value);
      if (n === undefined) mustBeOfAn(key, "integer");
      if (n < 0n) invalid(`${key} must be greater than or equal to 0`);
      s[key] = n;
    }
    const [low, high] = [s[min], s[max]];
    if (order !== undefined && low !== undefined && high !== undefined && low > high) invalid(order);
  }

  private valueKeywords(m: JsonObject, s: SubSchema, child: (v: JsonNode) => SubSchema): void {
    const contains = m.get("contains");
    if (contains !== undefined && s.draft >= 6) s.contains = child(contains);
    const constant = m.get("const");
    if (constant !== undefined && s.draft >= 6) s.constText = canonicalText(constant);
    const values = getSlice(m, "enum");
    if (values !== undefined) {
      s.enumTexts = [];
      for (const value of values) {
        const text = canonicalText(value);
        if (s.enumTexts.includes(text)) invalid("enum items must be unique");
        s.enumTexts.push(text);
      }
    }
  }

  private combinators(m: JsonObject, s: SubSchema, child: (v: JsonNode) => SubSchema): void {
    for (const key of ["oneOf", "anyOf", "allOf"] as const) {
      for (const value of getSlice(m, key) ?? []) s[key].push(child(value));
    }
    const keys = s.draft >= 7 ? (["not", "if", "then", "else"] as const) : (["not"] as const);
    for (const key of keys) {
      const value = m.get(key);
      if (value === undefined) continue;
      if (typeof value !== "boolean" && !isObject(value)) mustBeOfAn(key, "object");
      s[key] = child(value);
    }
  }
}

/** The compiled root of `schema`; InvalidSchema with gojsonschema's text when it refuses it. */
export function compileSchema(schema: JsonNode): SubSchema {
  const draft = detectDraft(schema);
  checkIdentifiers(schema);
  return new Compiler(schema).parse(schema, draft, 0);
}
