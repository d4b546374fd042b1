// Per-callback accounts of one filter in the Node host: everything that happens between the
// host's call of a proxy_on_* export and its return — nested allocator calls included — is
// charged to that callback. Attach with `HostBuilder.withObserver(ledger)`, then `bind` the VM
// (its accounting globals are read at every outermost entry and exit).

import type { VmObserver } from "../../test/host/types.ts";
import type { WasmVm } from "../../test/host/vm.ts";
import { COUNTERS } from "./instrument.ts";

export interface CallbackAccount {
  /** Calls of this callback. */
  calls: number;
  /** Host calls made from it, by name. */
  hostCalls: Map<string, number>;
  /** Calls back into the VM to allocate a value the host returns (`malloc`). */
  mallocs: number;
  bytesFromGuest: number;
  bytesToGuest: number;
  /** Managed allocations (`__new`) and the bytes they asked for. */
  news: number;
  newBytes: number;
  gcVisits: number;
  /** Wall time inside the callback, host functions included (V8, TurboFan; indicative only). */
  ns: number;
}

export const emptyAccount = (): CallbackAccount => ({
  calls: 0,
  hostCalls: new Map(),
  mallocs: 0,
  bytesFromGuest: 0,
  bytesToGuest: 0,
  news: 0,
  newBytes: 0,
  gcVisits: 0,
  ns: 0,
});

interface Open {
  account: CallbackAccount;
  startNs: bigint;
  news: number;
  newBytes: number;
  gcVisits: number;
}

export class CallbackLedger implements VmObserver {
  readonly accounts = new Map<string, CallbackAccount>();
  private vm: WasmVm | undefined;
  private label = "";
  private open: Open | undefined;
  private depth = 0;
  /** While false (set up, warm-up) nothing is charged. */
  recording = false;

  /** Accounts only this VM's calls (the host also runs a canary VM at start). */
  bind(vm: WasmVm): void {
    this.vm = vm;
    this.label = vm.label;
  }

  private counter(name: string): number {
    return this.vm?.exportedGlobal(name) ?? 0;
  }

  enter(vm: string, name: string): void {
    if (!this.recording || vm !== this.label) return;
    if (this.depth++ > 0) {
      if (name === "malloc" && this.open) this.open.account.mallocs++;
      return;
    }
    let account = this.accounts.get(name);
    if (!account) {
      account = emptyAccount();
      this.accounts.set(name, account);
    }
    account.calls++;
    this.open = {
      account,
      news: this.counter(COUNTERS.news),
      newBytes: this.counter(COUNTERS.newBytes),
      gcVisits: this.counter(COUNTERS.gcVisits),
      startNs: process.hrtime.bigint(),
    };
  }

  exit(vm: string, _name: string): void {
    if (!this.recording || vm !== this.label || this.depth === 0) return;
    if (--this.depth > 0 || !this.open) return;
    const { account, startNs } = this.open;
    account.ns += Number(process.hrtime.bigint() - startNs);
    // i32 counters: the difference modulo 2^32 is right across a wrap.
    account.news += (this.counter(COUNTERS.news) - this.open.news) >>> 0;
    account.newBytes += (this.counter(COUNTERS.newBytes) - this.open.newBytes) >>> 0;
    account.gcVisits += (this.counter(COUNTERS.gcVisits) - this.open.gcVisits) >>> 0;
    this.open = undefined;
  }

  hostCall(vm: string, name: string): void {
    if (!this.open || vm !== this.label) return;
    const calls = this.open.account.hostCalls;
    calls.set(name, (calls.get(name) ?? 0) + 1);
  }

  bytesFromGuest(vm: string, size: number): void {
    if (this.open && vm === this.label) this.open.account.bytesFromGuest += size;
  }

  bytesToGuest(vm: string, size: number): void {
    if (this.open && vm === this.label) this.open.account.bytesToGuest += size;
  }
}
