// An accounting copy of a built filter: the release module (read from the `.wat` the build writes
// beside it, which keeps the function names the `.wasm` drops) with three counters added as
// exported globals, so the Node host can read how much AssemblyScript's runtime worked during each
// callback:
//   acct_news       calls of the managed allocator (`~lib/rt/itcms/__new`: every object, string,
//                   array and ArrayBuffer the filter creates)
//   acct_new_bytes  bytes requested from it
//   acct_gc_visits  references the incremental GC scanned (`~lib/rt/itcms/__visit`): its marking
//                   work, which the allocator drives in steps once the heap passed the GC
//                   threshold (the step itself is inlined into `__new`, so it cannot be counted)
// plus `~lib/rt/itcms/total` (managed bytes the GC accounts for) as acct_gc_total. Nothing else
// changes: same imports, exports and code, so host calls and their order are the release build's.
// Binaryen is the library AssemblyScript itself emits modules with; parsing and re-emitting Wasm
// by hand would be a few hundred lines for the same three counters.
import { readFileSync } from "node:fs";
import binaryen from "binaryen";

export const COUNTERS = {
  news: "acct_news",
  newBytes: "acct_new_bytes",
  gcVisits: "acct_gc_visits",
  gcTotal: "acct_gc_total",
} as const;

const NEW = "~lib/rt/itcms/__new";
const VISIT = "~lib/rt/itcms/__visit";
const GC_TOTAL = "~lib/rt/itcms/total";

/** binaryen.Function's body accessors: present at run time, but the typings declare them on the
 *  Module (and `getFunctionInfo` aborts on these modules' GC-typed signatures). */
const functionApi = (
  binaryen as unknown as {
    Function: {
      getBody(fn: binaryen.FunctionRef): binaryen.ExpressionRef;
      setBody(fn: binaryen.FunctionRef, body: binaryen.ExpressionRef): void;
    };
  }
).Function;

/** Prepends `prologue` to function `name`'s body. */
function prepend(mod: binaryen.Module, name: string, prologue: (m: binaryen.Module) => binaryen.ExpressionRef[]): void {
  const fn = mod.getFunction(name);
  const body = functionApi.getBody(fn);
  functionApi.setBody(fn, mod.block(null, [...prologue(mod), body], binaryen.getExpressionType(body)));
}

function counter(mod: binaryen.Module, name: string, by: binaryen.ExpressionRef): binaryen.ExpressionRef {
  return mod.global.set(name, mod.i32.add(mod.global.get(name, binaryen.i32), by));
}

/** The accounting module of the filter whose release text is `watPath` (build/filters/<name>.wat). */
export function accountingModule(watPath: string): Uint8Array {
  const mod = binaryen.parseText(readFileSync(watPath, "utf8"));
  try {
    // The text carries no feature section; AssemblyScript's defaults include these.
    mod.setFeatures(binaryen.Features.All);
    for (const name of [COUNTERS.news, COUNTERS.newBytes, COUNTERS.gcVisits]) {
      mod.addGlobal(name, binaryen.i32, true, mod.i32.const(0));
      mod.addGlobalExport(name, name);
    }
    mod.addGlobalExport(GC_TOTAL, COUNTERS.gcTotal);
    prepend(mod, NEW, (m) => [
      counter(m, COUNTERS.news, m.i32.const(1)),
      counter(m, COUNTERS.newBytes, m.local.get(0, binaryen.i32)),
    ]);
    prepend(mod, VISIT, (m) => [counter(m, COUNTERS.gcVisits, m.i32.const(1))]);
    if (!mod.validate()) throw new Error(`accounting build of ${watPath} does not validate`);
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}
