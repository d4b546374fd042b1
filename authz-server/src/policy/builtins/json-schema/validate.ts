// A document checked against a compiled schema as gojsonschema's validateRecursive checks it, so
// that OPA's json.match_schema errors come out with its texts, types, fields and order: per node
// the type first (a wrong type ends the node), then the combinators and dependencies
// (validateSchema), the type's own keywords, const/enum/format (validateCommon), and for objects
// the properties last. anyOf, oneOf and contains report the errors of their best-scoring branch,
// with gojsonschema's score (+1 per keyword group passed, −2 per error, merged with sub-results),
// ties to the first. Where Go iterates a map (an object's keys, patternProperties, dependencies)
// OPA's order is not fixed from one run to the next; here it is key order.
// Bounded: MAX_VALIDATION_DEPTH nested checks (a $ref cycle that consumes no input would
// otherwise recurse for ever; gojsonschema overflows its stack) and MAX_STEPS checks in all.
import { fail } from "../operands.ts";
import { canonicalText } from "./canonical.ts";
import { compareDecimal, decimalOf, goNumberText, isInteger, isMultipleOf } from "./decimal.ts";
import { matchesFormat } from "./formats.ts";
import { isObject, type JsonNode, JsonNumber, type JsonObject } from "./json-node.ts";
import { type MatchError, matchError, type Path } from "./messages.ts";
import type { SubSchema } from "./sub-schema.ts";

export const MAX_VALIDATION_DEPTH = 1024;
export const MAX_STEPS = 1_000_000;

interface Result {
  errors: MatchError[];
  score: number;
}

const at = (parent: Path | undefined, head: string): Path => ({ head, parent });

class Validator {
  private depth = 0;
  private steps = 0;

  sub(schema: SubSchema, node: JsonNode, path: Path | undefined): Result {
    const result: Result = { errors: [], score: 0 };
    this.node(schema, node, result, path);
    return result;
  }

  private add(result: Result, type: string, path: Path | undefined, desc: (field: string) => string): void {
    result.errors.push(matchError(type, path, desc));
    result.score -= 2;
  }

  private merge(result: Result, other: Result): void {
    result.errors.push(...other.errors);
    result.score += other.score;
  }

  node(s: SubSchema, node: JsonNode, result: Result, path: Path | undefined): void {
    if (++this.steps > MAX_STEPS) fail(`json schema: validation took more than ${MAX_STEPS} steps`);
    if (++this.depth > MAX_VALIDATION_DEPTH) fail(`json schema: validation deeper than ${MAX_VALIDATION_DEPTH}`);
    this.dispatch(s, node, result, path);
    this.depth--;
  }

  private dispatch(s: SubSchema, node: JsonNode, result: Result, path: Path | undefined): void {
    if (s.pass !== undefined) {
      if (!s.pass) this.add(result, "false", path, () => "False always fails validation");
      return;
    }
    if (s.ref !== undefined) {
      this.node(s.ref, node, result, path);
      return;
    }
    let given: string;
    if (node === null) given = "null";
    else if (node instanceof JsonNumber) given = isInteger(decimalOf(node)) ? "integer" : "number";
    else if (Array.isArray(node)) given = "array";
    else if (isObject(node)) given = "object";
    else given = typeof node;
    const typeOk =
      s.types.length === 0 || s.types.includes(given) || (given === "integer" && s.types.includes("number"));
    if (!typeOk) {
      const expected = s.types.length > 1 ? `[${s.types.join(",")}]` : (s.types[0] as string);
      this.add(result, "invalid_type", path, () => `Invalid type. Expected: ${expected}, given: ${given}`);
      return;
    }
    this.combinators(s, node, result, path);
    if (node instanceof JsonNumber) this.number(s, node, result, path);
    else if (Array.isArray(node)) this.array(s, node, result, path);
    else if (isObject(node)) this.object(s, node, result, path);
    this.common(s, node, result, path);
    if (typeof node === "string") this.string(s, node, result, path);
    if (isObject(node)) {
      for (const [name, child] of s.properties) {
        const value = node.get(name);
        if (value !== undefined) this.node(child, value, result, at(path, name));
      }
    }
    result.score++;
  }

  private best(current: Result | undefined, candidate: Result): Result {
    return current === undefined || candidate.score > current.score ? candidate : current;
  }

  private combinators(s: SubSchema, node: JsonNode, result: Result, path: Path | undefined): void {
    if (s.anyOf.length > 0) {
      let best: Result | undefined;
      let valid = false;
      for (const branch of s.anyOf) {
        const r = this.sub(branch, node, path);
        valid = r.errors.length === 0;
        if (valid) break;
        best = this.best(best, r);
      }
      if (!valid) {
        this.add(result, "number_any_of", path, () => "Must validate at least one schema (anyOf)");
        if (best) this.merge(result, best);
      }
    }
    if (s.oneOf.length > 0) {
      let passed = 0;
      let best: Result | undefined;
      for (const branch of s.oneOf) {
        const r = this.sub(branch, node, path);
        if (r.errors.length === 0) passed++;
        else if (passed === 0) best = this.best(best, r);
      }
      if (passed !== 1) {
        this.add(result, "number_one_of", path, () => "Must validate one and only one schema (oneOf)");
        if (passed === 0 && best) this.merge(result, best);
      }
    }
    if (s.allOf.length > 0) {
      let passed = 0;
      for (const branch of s.allOf) {
        const r = this.sub(branch, node, path);
        if (r.errors.length === 0) passed++;
        this.merge(result, r);
      }
      if (passed !== s.allOf.length)
        this.add(result, "number_all_of", path, () => "Must validate all the schemas (allOf)");
    }
    if (s.not !== undefined && this.sub(s.not, node, path).errors.length === 0) {
      this.add(result, "number_not", path, () => "Must not validate the schema (not)");
    }
    if (s.dependencies.length > 0 && isObject(node)) this.dependencies(s, node, result, path);
    if (s.if !== undefined) {
      const condition = this.sub(s.if, node, path).errors.length === 0;
      const [branch, type, text] = condition
        ? [s.then, "condition_then", 'Must validate "then" as "if" was valid']
        : [s.else, "condition_else", 'Must validate "else" as "if" was not valid'];
      if (branch !== undefined) {
        const r = this.sub(branch, node, path);
        if (r.errors.length > 0) {
          this.add(result, type, path, () => text);
          this.merge(result, r);
        }
      }
    }
    result.score++;
  }

  private dependencies(s: SubSchema, node: JsonObject, result: Result, path: Path | undefined): void {
    const byKey = new Map(s.dependencies);
    for (const key of node.keys()) {
      const dependency = byKey.get(key);
      if (dependency === undefined) continue;
      if (Array.isArray(dependency)) {
        for (const needed of dependency) {
          if (!node.has(needed)) this.add(result, "missing_dependency", path, () => `Has a dependency on ${needed}`);
        }
      } else this.node(dependency, node, result, path);
    }
  }

  private common(s: SubSchema, node: JsonNode, result: Result, path: Path | undefined): void {
    if (s.constText !== undefined || s.enumTexts !== undefined) {
      const text = canonicalText(node);
      const constant = s.constText;
      if (constant !== undefined && text !== constant) {
        this.add(result, "const", path, (field) => `${field} does not match: ${constant}`);
      }
      const allowed = s.enumTexts;
      if (allowed !== undefined && !allowed.includes(text)) {
        this.add(result, "enum", path, (field) => `${field} must be one of the following: ${allowed.join(", ")}`);
      }
    }
    const format = s.format;
    if (format !== undefined && format !== "" && !matchesFormat(format, node)) {
      this.add(result, "format", path, () => `Does not match format '${format}'`);
    }
    result.score++;
  }

  private array(s: SubSchema, node: JsonNode[], result: Result, path: Path | undefined): void {
    const first = s.items[0];
    if (s.itemsIsSingleSchema && first !== undefined) {
      for (const [i, item] of node.entries()) this.merge(result, this.sub(first, item, at(path, String(i))));
    } else if (s.items.length > 0) {
      const n = Math.min(s.items.length, node.length);
      for (let i = 0; i < n; i++) {
        this.merge(result, this.sub(s.items[i] as SubSchema, node[i] as JsonNode, at(path, String(i))));
      }
      const extra = s.additionalItems;
      if (s.items.length < node.length) {
        if (extra === false)
          this.add(result, "array_no_additional_items", path, () => "No additional items allowed on array");
        else if (extra !== undefined && extra !== true) {
          for (let i = s.items.length; i < node.length; i++) {
            this.merge(result, this.sub(extra, node[i] as JsonNode, at(path, String(i))));
          }
        }
      }
    }
    const count = BigInt(node.length);
    const { minItems, maxItems } = s;
    if (minItems !== undefined && count < minItems) {
      this.add(result, "array_min_items", path, () => `Array must have at least ${minItems} items`);
    }
    if (maxItems !== undefined && count > maxItems) {
      this.add(result, "array_max_items", path, () => `Array must have at most ${maxItems} items`);
    }
    if (s.uniqueItems) {
      const seen = new Map<string, number>();
      node.forEach((item, j) => {
        const text = canonicalText(item);
        const i = seen.get(text);
        if (i !== undefined) this.add(result, "unique", path, () => `array items[${i},${j}] must be unique`);
        seen.set(text, j);
      });
    }
    if (s.contains !== undefined) this.contains(s.contains, node, result, path);
    result.score++;
  }

  private contains(schema: SubSchema, node: JsonNode[], result: Result, path: Path | undefined): void {
    let best: Result | undefined;
    for (const [i, item] of node.entries()) {
      const r = this.sub(schema, item, at(path, String(i)));
      if (r.errors.length === 0) return;
      best = this.best(best, r);
    }
    this.add(result, "contains", path, () => "At least one of the items must match");
    if (best) this.merge(result, best);
  }

  private object(s: SubSchema, node: JsonObject, result: Result, path: Path | undefined): void {
    const size = BigInt(node.size);
    const { minProperties, maxProperties } = s;
    if (minProperties !== undefined && size < minProperties) {
      this.add(result, "array_min_properties", path, () => `Must have at least ${minProperties} properties`);
    }
    if (maxProperties !== undefined && size > maxProperties) {
      this.add(result, "array_max_properties", path, () => `Must have at most ${maxProperties} properties`);
    }
    for (const name of s.required) {
      if (node.has(name)) result.score++;
      else this.add(result, "required", path, () => `${name} is required`);
    }
    for (const [key, value] of node) {
      const described = s.properties.some(([name]) => name === key);
      const patterned = this.patternProperties(s, key, value, result, path);
      if (described || patterned) continue;
      const extra = s.additionalProperties;
      if (extra === false) {
        this.add(result, "additional_property_not_allowed", path, () => `Additional property ${key} is not allowed`);
      } else if (extra !== undefined && extra !== true) this.merge(result, this.sub(extra, value, at(path, key)));
    }
    if (s.propertyNames !== undefined) {
      for (const key of node.keys()) {
        const r = this.sub(s.propertyNames, key, path);
        if (r.errors.length > 0) {
          this.add(result, "invalid_property_name", path, () => `Property name of "${key}" does not match`);
          this.merge(result, r);
        }
      }
    }
    result.score++;
  }

  private patternProperties(s: SubSchema, key: string, value: JsonNode, result: Result, path: Path | undefined) {
    let matched = false;
    for (const [pattern, schema] of s.patternProperties) {
      if (!pattern.re.matcher(key).find()) continue;
      matched = true;
      this.merge(result, this.sub(schema, value, at(path, key)));
    }
    if (matched) result.score++;
    return matched;
  }

  private string(s: SubSchema, node: string, result: Result, path: Path | undefined): void {
    const { minLength, maxLength, pattern } = s;
    if (minLength !== undefined || maxLength !== undefined) {
      let runes = 0n;
      for (const _ of node) runes++;
      if (minLength !== undefined && runes < minLength) {
        this.add(result, "string_gte", path, () => `String length must be greater than or equal to ${minLength}`);
      }
      if (maxLength !== undefined && runes > maxLength) {
        this.add(result, "string_lte", path, () => `String length must be less than or equal to ${maxLength}`);
      }
    }
    if (pattern !== undefined && !pattern.re.matcher(node).find()) {
      this.add(result, "pattern", path, () => `Does not match pattern '${pattern.source}'`);
    }
    result.score++;
  }

  private number(s: SubSchema, node: JsonNumber, result: Result, path: Path | undefined): void {
    const v = decimalOf(node);
    const { multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum } = s;
    if (multipleOf !== undefined && !isMultipleOf(v, multipleOf)) {
      this.add(result, "multiple_of", path, () => `Must be a multiple of ${goNumberText(multipleOf)}`);
    }
    if (maximum !== undefined && compareDecimal(v, maximum) > 0) {
      this.add(result, "number_lte", path, () => `Must be less than or equal to ${goNumberText(maximum)}`);
    }
    if (exclusiveMaximum !== undefined && compareDecimal(v, exclusiveMaximum) >= 0) {
      this.add(result, "number_lt", path, () => `Must be less than ${goNumberText(exclusiveMaximum)}`);
    }
    if (minimum !== undefined && compareDecimal(v, minimum) < 0) {
      this.add(result, "number_gte", path, () => `Must be greater than or equal to ${goNumberText(minimum)}`);
    }
    if (exclusiveMinimum !== undefined && compareDecimal(v, exclusiveMinimum) <= 0) {
      this.add(result, "number_gt", path, () => `Must be greater than ${goNumberText(exclusiveMinimum)}`);
    }
    result.score++;
  }
}

/** gojsonschema's result for `document` against `schema`: valid when there are no errors. */
export function validateDocument(schema: SubSchema, document: JsonNode): MatchError[] {
  return new Validator().sub(schema, document, undefined).errors;
}
