// WASI functions Envoy provides (under wasi_snapshot_preview1 and wasi_unstable) as the Node host
// implements them: fd_write → the log (fd 1 info, fd 2 error, trailing newline dropped), clocks from
// the manual clock, random_get, empty args/environment, and proc_exit that only logs — as in Envoy,
// it does not stop execution.
import type { WasmVm } from "./vm.ts";

type Impl = (...args: (number | bigint)[]) => number | undefined;
const n = (v: number | bigint | undefined): number => Number(v ?? 0);

export function wasiFunctions(vm: WasmVm): Record<string, Impl> {
  return {
    fd_write: (fd, iovs, count, out) => {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < n(count); i++) {
        const [ptr, len] = new Uint32Array(vm.mem.readBytes(n(iovs) + i * 8, 8).buffer);
        chunks.push(vm.mem.readBytes(n(ptr), n(len)));
        total += n(len);
      }
      vm.log(n(fd) === 2 ? 4 : 2, Buffer.concat(chunks).toString("utf8").replace(/\n$/, ""));
      vm.mem.writeU32(n(out), total);
      return 0;
    },
    clock_time_get: (_id, _precision, out) => {
      vm.mem.writeU64(n(out), vm.services.clock.nowNanos());
      return 0;
    },
    clock_res_get: (_id, out) => {
      vm.mem.writeU64(n(out), 1n);
      return 0;
    },
    random_get: (ptr, len) => {
      const bytes = new Uint8Array(n(len));
      for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
      vm.mem.writeBytes(n(ptr), bytes);
      return 0;
    },
    environ_sizes_get: (c, s) => {
      vm.mem.writeU32(n(c), 0);
      vm.mem.writeU32(n(s), 0);
      return 0;
    },
    environ_get: () => 0,
    args_sizes_get: (c, s) => {
      vm.mem.writeU32(n(c), 0);
      vm.mem.writeU32(n(s), 0);
      return 0;
    },
    args_get: () => 0,
    proc_exit: (code) => {
      vm.log(4, `wasi proc_exit(${n(code)}) ignored, as in Envoy`);
      return undefined;
    },
    sched_yield: () => 0,
  };
}
