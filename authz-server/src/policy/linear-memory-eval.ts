// One evaluation through the OPA Wasm ABI's fast path (1.2+): the input's JSON is written by a
// JsonWriter straight into the policy's linear memory at the heap pointer left after the data,
// then one `opa_eval(0, entrypoint, data, input, input_len, heap, format=JSON)` call evaluates it
// and returns the address of the result set's JSON. It does what the SDK's LoadedPolicy.evaluate
// does with an ArrayBuffer, minus the JavaScript string, its UTF-8 copy and the second copy into
// memory. A module older than ABI 1.2 is evaluated through the SDK with the same bytes.
import type * as opaWasm from "@open-policy-agent/opa-wasm";
import { type ByteSink, GrowableBytes, JsonWriter } from "../translate/json-writer.ts";

const PAGE = 65536;

/** The members of the SDK's LoadedPolicy this module reads (set by its constructor and setData). */
interface LoadedPolicyInternals {
  wasmInstance: { exports: { opa_eval?: (...args: number[]) => number } };
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  minorVersion: number;
  dataAddr: number;
  dataHeapPtr: number;
}

/** What the input is: writes its JSON, or undefined for an evaluation without input. */
export type InputWrite = ((w: JsonWriter) => void) | undefined;

/** The policy's linear memory, grown by whole pages when the input needs room. */
class MemorySink implements ByteSink {
  constructor(private readonly memory: LoadedPolicyInternals["mem"]) {}

  reserve(end: number): Uint8Array {
    const size = this.memory.buffer.byteLength;
    if (end > size) this.memory.grow(Math.ceil((end - size) / PAGE));
    return new Uint8Array(this.memory.buffer);
  }
}

export class LinearMemoryEval {
  private readonly internals: LoadedPolicyInternals;
  private readonly sink: MemorySink;
  private readonly decoder = new TextDecoder();

  constructor(private readonly policy: opaWasm.LoadedPolicy) {
    this.internals = policy as unknown as LoadedPolicyInternals;
    this.sink = new MemorySink(this.internals.mem);
  }

  /** Evaluates `entrypoint` on the input `write` produces; returns the parsed result set. */
  run(write: InputWrite, entrypoint: number): unknown {
    const p = this.internals;
    const opaEval = p.wasmInstance.exports.opa_eval;
    if (p.minorVersion < 2 || opaEval === undefined) return this.runThroughSdk(write, entrypoint);
    const inputAddr = p.dataHeapPtr;
    let inputLen = 0;
    if (write) {
      const w = new JsonWriter(this.sink, inputAddr);
      write(w);
      inputLen = w.pos - inputAddr;
    }
    // The heap starts after the input; opa_eval resets it there, so nothing of an earlier
    // evaluation survives.
    const resultAddr = opaEval(
      0,
      entrypoint,
      p.dataAddr,
      inputLen === 0 ? 0 : inputAddr,
      inputLen,
      inputAddr + inputLen,
      0,
    );
    const bytes = new Uint8Array(p.mem.buffer);
    const end = bytes.indexOf(0, resultAddr);
    return JSON.parse(this.decoder.decode(bytes.subarray(resultAddr, end === -1 ? bytes.length : end)));
  }

  private runThroughSdk(write: InputWrite, entrypoint: number): unknown {
    if (!write) return this.policy.evaluate(undefined as unknown as object, entrypoint);
    const sink = new GrowableBytes();
    const w = new JsonWriter(sink, 0);
    write(w);
    return this.policy.evaluate(sink.bytes.slice(0, w.pos).buffer, entrypoint);
  }
}
