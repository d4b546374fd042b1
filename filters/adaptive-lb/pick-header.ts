/**
 * Writes the balancer's pick into the override-host request header without allocating: the
 * addresses are UTF-8 encoded straight into a static buffer ("ip:port,ip:port", primary first)
 * that is handed to the SDK's `replaceHeaderBytes`. Addresses are IP literals (ASCII), at most
 * 47 bytes ("[v6]:port"), and at most 8 are written (`maxHostsInHeader` ≤ 8), so 8 × 48 bytes
 * always suffice; anything longer is refused rather than truncated.
 */
import { AdaptiveBalancer } from "./lib/balancer";
import { MapType, replaceHeaderBytes, Utf8, WasmResult } from "../sdk";

const CAPACITY: usize = 8 * 48;
const VALUE: usize = memory.data(<i32>CAPACITY);

/** Sets `header` to the last pick of `lb`. Returns the host's WasmResult (BadArgument if too long). */
export function writePickHeader(lb: AdaptiveBalancer, header: Utf8): u32 {
  let at: usize = 0;
  const picked = lb.picked;
  for (let i = 0; i < picked.length; i++) {
    const address = lb.table.at(picked[i])!.address;
    const size = <usize>String.UTF8.byteLength(address);
    if (at + size + 1 > CAPACITY) return WasmResult.BadArgument;
    if (i > 0) {
      store<u8>(VALUE + at, 44); // ','
      at += 1;
    }
    String.UTF8.encodeUnsafe(changetype<usize>(address), address.length, VALUE + at);
    at += size;
  }
  return replaceHeaderBytes(MapType.RequestHeaders, header, VALUE, at);
}
