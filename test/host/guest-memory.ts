// Guest memory as the Node host sees it (the proxy-wasm memory contract): bounds-checked reads and writes
// (a bad pointer is OutOfBounds → InvalidMemoryAccess, never a crash), views re-created after every
// guest call and whenever an access falls outside the current view — memory.grow inside the guest
// detaches the old ArrayBuffer (its views then have length 0) before the guest calls back — and
// results handed to the guest through its allocator: zero-length results as (0, 0) without an
// allocation, a 0 pointer from the allocator as InvalidMemoryAccess. u64 out-values are BigInt.
import { Status } from "./shared-data.ts";

export class OutOfBounds extends Error {}

export class GuestMemory {
  private memory: WebAssembly.Memory | undefined;
  private u8 = new Uint8Array(0);
  private buf = Buffer.alloc(0);
  private dv = new DataView(new ArrayBuffer(0));

  /** `alloc` runs the guest's allocator (0 = failure); `observeRead` sees the size of every read
   *  (bench/accounting counts the bytes host calls copy out of the guest). */
  constructor(
    private readonly alloc: (size: number) => number,
    private readonly observeRead?: (size: number) => void,
  ) {}

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.refresh();
  }

  pages(): number {
    return this.memory ? this.memory.buffer.byteLength / 65536 : 0;
  }

  refresh(): void {
    if (this.memory && this.u8.buffer !== this.memory.buffer) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.buf = Buffer.from(this.memory.buffer);
      this.dv = new DataView(this.memory.buffer);
    }
  }

  private check(ptr: number, size: number): void {
    if (ptr >= 0 && size >= 0 && ptr + size <= this.u8.length) return;
    this.refresh();
    if (ptr < 0 || size < 0 || ptr + size > this.u8.length) throw new OutOfBounds(`${ptr}+${size}`);
  }

  readBytes(ptr: number, size: number): Uint8Array {
    this.check(ptr, size);
    this.observeRead?.(size);
    return this.u8.slice(ptr, ptr + size);
  }

  readString(ptr: number, size: number): string {
    this.check(ptr, size);
    this.observeRead?.(size);
    return this.buf.toString("utf8", ptr, ptr + size);
  }

  writeBytes(ptr: number, data: Uint8Array): void {
    this.check(ptr, data.length);
    this.u8.set(data, ptr);
  }

  writeU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.dv.setUint32(ptr, value >>> 0, true);
  }

  writeU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** Copies `data` into a block from the guest's allocator and writes (ptr, size) to the out-slots. */
  returnBytes(data: Uint8Array, ptrSlot: number, sizeSlot: number): Status {
    const ptr = this.allocateResult(data.length, ptrSlot, sizeSlot);
    if (ptr > 0) this.u8.set(data, ptr);
    return ptr < 0 ? Status.InvalidMemoryAccess : Status.Ok;
  }

  /** Same as returnBytes for a string, encoded as UTF-8 straight into guest memory. */
  returnString(text: string, ptrSlot: number, sizeSlot: number): Status {
    const size = Buffer.byteLength(text);
    const ptr = this.allocateResult(size, ptrSlot, sizeSlot);
    if (ptr > 0) this.buf.write(text, ptr, size, "utf8");
    return ptr < 0 ? Status.InvalidMemoryAccess : Status.Ok;
  }

  /** The block for a `size`-byte result with the out-slots filled: 0 for size 0 (written as 0, 0),
   *  -1 when the allocator failed. */
  private allocateResult(size: number, ptrSlot: number, sizeSlot: number): number {
    this.check(ptrSlot, 4);
    this.check(sizeSlot, 4);
    if (size === 0) {
      this.writeU32(ptrSlot, 0);
      this.writeU32(sizeSlot, 0);
      return 0;
    }
    const ptr = this.alloc(size);
    this.refresh();
    if (ptr === 0) return -1;
    this.check(ptr, size);
    this.writeU32(ptrSlot, ptr);
    this.writeU32(sizeSlot, size);
    return ptr;
  }
}
