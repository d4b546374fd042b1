// Reads one section of a config document with typed getters that name the field in every error
// (`grpc.tls.certFile: is required with tls`) and reject unknown keys. Pure. The one way config is
// validated: the server's config (schema.ts) and the sections read on their own (the risk engine's,
// whose errors carry the scope `risk config `).
import { ConfigError } from "../errors.ts";

export type Obj = Record<string, unknown>;

export class Reader {
  constructor(
    private readonly value: Obj,
    private readonly path: string,
    private readonly scope = "",
  ) {}

  static of(value: unknown, path: string, scope = ""): Reader {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw invalid(path, "must be an object", scope);
    return new Reader(value as Obj, path, scope);
  }

  /** The error for `key` (or this section when omitted), in this reader's scope. */
  fail(key: string | undefined, message: string): ConfigError {
    return invalid(key === undefined ? this.path : this.at(key), message, this.scope);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Rejects keys outside `known`. */
  only(known: string[]): this {
    for (const key of Object.keys(this.value)) {
      if (!known.includes(key)) throw this.fail(key, `unknown field (known: ${known.join(", ")})`);
    }
    return this;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  section(key: string): Reader {
    return Reader.of(this.value[key] ?? {}, this.at(key), this.scope);
  }

  string(key: string, fallback: string): string {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "string") throw this.fail(key, "must be a string");
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key, "") : undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "boolean") throw this.fail(key, "must be true or false");
    return v;
  }

  int(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw this.fail(key, `must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  /** A finite number in min..max (fractions allowed); required when there is no fallback. */
  number(key: string, fallback: number | undefined, min: number, max = Number.MAX_VALUE): number {
    const v = this.value[key] ?? fallback;
    if (v === undefined) throw this.fail(key, "is required");
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
      throw this.fail(key, `must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
    return v;
  }

  fraction(key: string, fallback: number): number {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw this.fail(key, "must be a number 0..1");
    return v;
  }

  strings(key: string, fallback: string[]): string[] {
    const v = this.value[key] ?? fallback;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw this.fail(key, "must be a list of strings");
    return [...(v as string[])];
  }

  /** A required, non-empty string. */
  nonEmpty(key: string): string {
    const v = this.value[key];
    if (typeof v !== "string" || v === "") throw this.fail(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A list whose elements `element` checks (and copies), each named `key[i]`. */
  list<T>(key: string, fallback: readonly T[], element: (item: ListItem) => T): T[] {
    const v = this.value[key] ?? fallback;
    if (!Array.isArray(v)) throw this.fail(key, "must be a list");
    return v.map((value, i) => element(new ListItem(value, `${this.at(key)}[${i}]`, this.scope)));
  }

  raw(key: string): unknown {
    return this.value[key];
  }
}

/** One element of a list field. */
export class ListItem {
  constructor(
    readonly value: unknown,
    readonly path: string,
    private readonly scope: string,
  ) {}

  fail(message: string): ConfigError {
    return invalid(this.path, message, this.scope);
  }

  nonEmpty(): string {
    if (typeof this.value !== "string" || this.value === "")
      throw this.fail(`must be a non-empty string, got ${JSON.stringify(this.value)}`);
    return this.value;
  }

  /** The element as an object with only `known` keys. */
  object(known: string[]): Reader {
    return Reader.of(this.value, this.path, this.scope).only(known);
  }
}

export function invalid(path: string, message: string, scope = ""): ConfigError {
  return new ConfigError(path, message, scope);
}
