// Reads one section of a config document with typed getters that name the field in every error
// (`grpc.tls.certFile: is required with tls`) and reject unknown keys. Pure.
import { ConfigError } from "../errors.ts";

export type Obj = Record<string, unknown>;

export class Reader {
  constructor(
    private readonly value: Obj,
    private readonly path: string,
  ) {}

  static of(value: unknown, path: string): Reader {
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(path, "must be an object");
    return new Reader(value as Obj, path);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Rejects keys outside `known`. */
  only(known: string[]): this {
    for (const key of Object.keys(this.value)) {
      if (!known.includes(key)) throw invalid(this.at(key), `unknown field (known: ${known.join(", ")})`);
    }
    return this;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined;
  }

  section(key: string): Reader {
    return Reader.of(this.value[key] ?? {}, this.at(key));
  }

  string(key: string, fallback: string): string {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "string") throw invalid(this.at(key), "must be a string");
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key, "") : undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "boolean") throw invalid(this.at(key), "must be true or false");
    return v;
  }

  int(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw invalid(this.at(key), `must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  fraction(key: string, fallback: number): number {
    const v = this.value[key] ?? fallback;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw invalid(this.at(key), "must be a number 0..1");
    return v;
  }

  strings(key: string, fallback: string[]): string[] {
    const v = this.value[key] ?? fallback;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
      throw invalid(this.at(key), "must be a list of strings");
    return v as string[];
  }

  raw(key: string): unknown {
    return this.value[key];
  }
}

export function invalid(path: string, message: string): ConfigError {
  return new ConfigError(path, message);
}
