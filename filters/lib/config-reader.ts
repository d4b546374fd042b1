/**
 * Strict, path-aware reading of a parsed JSON config (the building block both filters' config
 * parsers share). Every accessor names the field it reads; every problem is recorded as
 * "<path>: <what is wrong>" (e.g. `outlier.maxEjectionPercent: must be within [0, 100], got 150`)
 * so that `on_configure` can log one line that tells the operator exactly what to fix.
 *
 * Rules: a missing field takes the named default; a present field of the wrong JSON type, a value
 * out of range, or a field the schema does not know is an error (`finish()` reports the unknown
 * ones). Errors accumulate so one bad config shows all its problems at once; the caller rejects the
 * config if `errors.count() > 0`. Nothing here throws.
 */
import { JsonKind, JsonValue, kindName, parseJson } from "./json";

/** Collects configuration errors; shared by all readers of one document. */
export class ConfigErrors {
  list: Array<string> = new Array<string>();

  add(path: string, message: string): void {
    this.list.push((path.length > 0 ? path : "(root)") + ": " + message);
  }

  count(): i32 {
    return this.list.length;
  }

  /** All errors on one line, for a log message or a test assertion. */
  summary(): string {
    return this.list.join("; ");
  }
}

/** Joins a parent path and a field name: "" + "a" = "a", "a" + "b" = "a.b". */
export function childPath(parent: string, field: string): string {
  return parent.length == 0 ? field : parent + "." + field;
}

/** Path of an array element: "rules" + 2 = "rules[2]". */
export function indexPath(parent: string, index: i32): string {
  return parent + "[" + index.toString() + "]";
}

/** Reads the fields of one JSON object; remembers which ones were read. */
export class ObjectReader {
  private seen: Array<string> = new Array<string>();

  constructor(
    public value: JsonValue,
    public path: string,
    public errors: ConfigErrors,
  ) {}

  /** A reader over `value` if it is an object; otherwise records an error and returns null. */
  static of(value: JsonValue, path: string, errors: ConfigErrors): ObjectReader | null {
    if (value.kind != JsonKind.Object) {
      errors.add(path, "expected object, got " + kindName(value.kind));
      return null;
    }
    return new ObjectReader(value, path, errors);
  }

  fieldPath(name: string): string {
    return childPath(this.path, name);
  }

  /** The raw member (marking it known), or null when absent. JSON `null` counts as absent. */
  raw(name: string): JsonValue | null {
    this.seen.push(name);
    const v = this.value.member(name);
    if (v === null || v.kind == JsonKind.Null) return null;
    return v;
  }

  has(name: string): bool {
    const v = this.value.member(name);
    return v !== null && v.kind != JsonKind.Null;
  }

  private typed(name: string, kind: JsonKind): JsonValue | null {
    const v = this.raw(name);
    if (v === null) return null;
    if (v.kind != kind) {
      this.errors.add(this.fieldPath(name), "expected " + kindName(kind) + ", got " + kindName(v.kind));
      return null;
    }
    return v;
  }

  /** A finite number within [min, max]; `def` when absent or invalid. */
  number(name: string, def: f64, min: f64, max: f64): f64 {
    const v = this.typed(name, JsonKind.Number);
    if (v === null) return def;
    const n = v.numberValue;
    if (!(n >= min && n <= max)) {
      this.errors.add(this.fieldPath(name), rangeMessage(min, max, n));
      return def;
    }
    return n;
  }

  /** A whole number within [min, max] (JSON has one number type; 2.5 is rejected here). */
  integer(name: string, def: i64, min: i64, max: i64): i64 {
    const v = this.typed(name, JsonKind.Number);
    if (v === null) return def;
    const n = v.numberValue;
    if (n != Math.floor(n)) {
      this.errors.add(this.fieldPath(name), "expected an integer, got " + n.toString());
      return def;
    }
    if (!(n >= <f64>min && n <= <f64>max)) {
      this.errors.add(this.fieldPath(name), rangeMessage(<f64>min, <f64>max, n));
      return def;
    }
    return <i64>n;
  }

  bool(name: string, def: bool): bool {
    const v = this.typed(name, JsonKind.Bool);
    return v === null ? def : v.boolValue;
  }

  /** A string of at most `maxLength` UTF-16 units; `allowEmpty` false rejects "". */
  string(name: string, def: string, maxLength: i32, allowEmpty: bool): string {
    const v = this.typed(name, JsonKind.String);
    if (v === null) return def;
    const s = v.stringValue;
    if (!allowEmpty && s.length == 0) {
      this.errors.add(this.fieldPath(name), "must not be empty");
      return def;
    }
    if (s.length > maxLength) {
      this.errors.add(this.fieldPath(name), "longer than " + maxLength.toString() + " characters");
      return def;
    }
    return s;
  }

  /** One of the `allowed` strings. */
  choice(name: string, def: string, allowed: Array<string>): string {
    const v = this.typed(name, JsonKind.String);
    if (v === null) return def;
    if (!allowed.includes(v.stringValue)) {
      this.errors.add(this.fieldPath(name), "must be one of " + allowed.join("|") + ', got "' + v.stringValue + '"');
      return def;
    }
    return v.stringValue;
  }

  /** A nested object's reader, or null when absent (or on a type error, which is recorded). */
  object(name: string): ObjectReader | null {
    const v = this.raw(name);
    if (v === null) return null;
    return ObjectReader.of(v, this.fieldPath(name), this.errors);
  }

  /** An array's elements (at most `maxItems`), or null when absent or invalid. */
  array(name: string, maxItems: i32): Array<JsonValue> | null {
    const v = this.typed(name, JsonKind.Array);
    if (v === null) return null;
    if (v.items.length > maxItems) {
      this.errors.add(this.fieldPath(name), "more than " + maxItems.toString() + " items");
      return null;
    }
    return v.items;
  }

  /** An array of strings, each checked like `string(…, allowEmpty=false)`. */
  stringArray(name: string, maxItems: i32, maxLength: i32): Array<string> {
    const out = new Array<string>();
    const items = this.array(name, maxItems);
    if (items === null) return out;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const p = indexPath(this.fieldPath(name), i);
      if (item.kind != JsonKind.String) {
        this.errors.add(p, "expected string, got " + kindName(item.kind));
      } else if (item.stringValue.length == 0 || item.stringValue.length > maxLength) {
        this.errors.add(p, "must be 1.." + maxLength.toString() + " characters");
      } else out.push(item.stringValue);
    }
    return out;
  }

  /** Records every member that no accessor asked for as "unknown field". Call last. */
  finish(): void {
    for (let i = 0; i < this.value.keys.length; i++) {
      const key = this.value.keys[i];
      if (!this.seen.includes(key)) this.errors.add(this.fieldPath(key), "unknown field");
    }
  }
}

function rangeMessage(min: f64, max: f64, got: f64): string {
  return "must be within [" + fmt(min) + ", " + fmt(max) + "], got " + fmt(got);
}

/** Integers print without ".0", so messages read like the JSON the user wrote. */
export function fmt(n: f64): string {
  if (n == Math.floor(n) && Math.abs(n) < 1e15) return (<i64>n).toString();
  return n.toString();
}

/**
 * Lowercase token: a-z 0-9 - _ . — header names (HTTP/2 and Envoy's header maps are lowercase),
 * rule and class names (they end up in metric names and RateLimit policy names).
 */
export function isLowerToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const ok = (ch >= 0x61 && ch <= 0x7a) || (ch >= 0x30 && ch <= 0x39) || ch == 0x2d || ch == 0x5f || ch == 0x2e;
    if (!ok) return false;
  }
  return true;
}

/**
 * One `pluginConfig` document being read: parse errors and field errors end up in one place.
 * Usage: `const doc = openConfig(text); if (doc.root !== null) readFields(doc.root!); const error = doc.close();`
 * An empty (or all-whitespace) text has no root and no error: the filter runs on its defaults.
 */
export class ConfigDocument {
  root: ObjectReader | null = null;
  errors: ConfigErrors = new ConfigErrors();
  private parseError: string = "";

  constructor(text: string) {
    // (no early return: AssemblyScript constructors must run to the end)
    if (text.trim().length > 0) {
      const json = parseJson(text);
      const value = json.value;
      if (value === null) this.parseError = "invalid JSON: " + json.error;
      else this.root = ObjectReader.of(value, "", this.errors);
    }
  }

  /** "" when the document is valid, else every problem on one line. */
  close(): string {
    return this.parseError.length > 0 ? this.parseError : this.errors.summary();
  }
}

/** A parsed config of type T, or every problem found ("field.path: message; …"). */
export class ConfigResult<T> {
  config: T | null = null;
  /** Empty when `config` is set. */
  error: string = "";
}

/**
 * Parses `text` into `config` (pre-filled with its defaults) with `readRoot`, a top-level function
 * of the filter's schema (AssemblyScript passes it as a plain function reference, no closure).
 */
export function readConfig<T>(text: string, config: T, readRoot: (r: ObjectReader, c: T) => void): ConfigResult<T> {
  const result = new ConfigResult<T>();
  const doc = new ConfigDocument(text);
  const root = doc.root;
  if (root !== null) readRoot(root, config);
  result.error = doc.close();
  if (result.error.length == 0) result.config = config;
  return result;
}
