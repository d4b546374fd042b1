// Assembles small WebAssembly modules byte by byte for tests that need a module with a precise
// interface (a wrong import type, a missing export) that no compiler would emit on purpose.
import type { FunctionType, ValueType } from "../../scripts/lib/wasm-binary.ts";

const VALUE_CODES: Record<ValueType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
};

export interface FunctionSpec {
  type: FunctionType;
  /** Export name; the body returns zero values of the result types. */
  export?: string;
}

export interface ModuleSpec {
  imports?: { module: string; name: string; type: FunctionType }[];
  functions?: FunctionSpec[];
  exportMemory?: boolean;
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const str = (s: string) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const encodeType = (t: FunctionType) => [
  0x60,
  ...vec(t.params.map((p) => [VALUE_CODES[p]])),
  ...vec(t.results.map((r) => [VALUE_CODES[r]])),
];

function zeroOf(type: ValueType): number[] {
  if (type === "i32") return [0x41, 0];
  if (type === "i64") return [0x42, 0];
  if (type === "f32") return [0x43, 0, 0, 0, 0];
  if (type === "f64") return [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
  throw new Error(`wasm-builder: no zero for ${type}`);
}

export function buildModule(spec: ModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const functions = spec.functions ?? [];
  const types = [...imports.map((i) => i.type), ...functions.map((f) => f.type)];
  const typeIndex = (t: FunctionType) => types.indexOf(t);
  const exportsList: number[][] = functions.flatMap((f, i) =>
    f.export ? [[...str(f.export), 0, ...leb(imports.length + i)]] : [],
  );
  if (spec.exportMemory !== false) exportsList.push([...str("memory"), 2, 0]);
  const bodies = functions.map((f) => {
    const code = [0, ...f.type.results.flatMap(zeroOf), 0x0b];
    return [...leb(code.length), ...code];
  });
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, vec(types.map(encodeType))),
    ...section(2, vec(imports.map((i) => [...str(i.module), ...str(i.name), 0, ...leb(typeIndex(i.type))]))),
    ...section(3, vec(functions.map((f) => leb(typeIndex(f.type))))),
    ...section(5, vec([[0, 1]])),
    ...section(7, vec(exportsList)),
    ...section(10, vec(bodies)),
  ]);
}
