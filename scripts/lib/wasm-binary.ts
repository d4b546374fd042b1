// Reads the type, import and export sections of a WebAssembly binary: enough to check a module's
// host interface the way Envoy does, without Node's experimental type-reflection flag.
// Format: WebAssembly Core Specification 1.0, §5 (binary format).

export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface FunctionType {
  params: ValueType[];
  results: ValueType[];
}

export interface ImportEntry {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global";
  type?: FunctionType;
}

export interface ExportEntry {
  name: string;
  kind: "function" | "table" | "memory" | "global";
  type?: FunctionType;
}

export interface ModuleInterface {
  imports: ImportEntry[];
  exports: ExportEntry[];
}

const VALUE_TYPES: Record<number, ValueType> = {
  127: "i32",
  126: "i64",
  125: "f32",
  124: "f64",
  123: "v128",
  112: "funcref",
  111: "externref",
};
const KINDS = ["function", "table", "memory", "global"] as const;

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error("wasm: unexpected end of module");
    return this.bytes[this.offset++] as number;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error("wasm: LEB128 overflow");
    }
  }
  name(): string {
    const size = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.offset, this.offset + size));
    this.offset += size;
    return text;
  }
  valueType(): ValueType {
    const code = this.byte();
    const type = VALUE_TYPES[code];
    if (!type) throw new Error(`wasm: unknown value type 0x${code.toString(16)}`);
    return type;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

export function readModuleInterface(bytes: Uint8Array): ModuleInterface {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("wasm: not a WebAssembly binary (bad magic)");
  }
  const r = new Reader(bytes);
  r.offset = 8;
  const types: FunctionType[] = [];
  const functionTypes: number[] = []; // type index of every function, imported ones first
  const imports: ImportEntry[] = [];
  const rawExports: { name: string; kind: ExportEntry["kind"]; index: number }[] = [];
  while (r.offset < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new Error("wasm: malformed function type");
        const params = Array.from({ length: r.u32() }, () => r.valueType());
        const results = Array.from({ length: r.u32() }, () => r.valueType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = KINDS[r.byte()];
        if (!kind) throw new Error("wasm: unknown import kind");
        const entry: ImportEntry = { module, name, kind };
        if (kind === "function") {
          const typeIndex = r.u32();
          entry.type = types[typeIndex];
          functionTypes.push(typeIndex);
        } else if (kind === "table") {
          r.byte();
          r.limits();
        } else if (kind === "memory") {
          r.limits();
        } else {
          r.valueType();
          r.byte();
        }
        imports.push(entry);
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) functionTypes.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = KINDS[r.byte()];
        if (!kind) throw new Error("wasm: unknown export kind");
        rawExports.push({ name, kind, index: r.u32() });
      }
    }
    r.offset = end;
  }
  const exports = rawExports.map(({ name, kind, index }) => {
    const entry: ExportEntry = { name, kind };
    if (kind === "function") {
      const typeIndex = functionTypes[index];
      if (typeIndex !== undefined) entry.type = types[typeIndex];
    }
    return entry;
  });
  return { imports, exports };
}

export function formatType(type: FunctionType | undefined): string {
  if (!type) return "?";
  return `(${type.params.join(", ")}) -> (${type.results.join(", ")})`;
}
