// Host side of the proxy-wasm pairs format (proxy-wasm-cpp-host src/pairs_util.cc):
//   u32 N | N × (u32 key_len, u32 value_len) | N × (key, 0x00, value, 0x00), little-endian.
// Envoy's parser accepts at most 1024 pairs and 1 MiB, needs a NUL after every key and value and
// the buffer consumed exactly; anything else parses as an EMPTY map (so a malformed
// set_header_map_pairs wipes the map). decodePairs returns null for those cases and callers apply
// Envoy's "empty" rule explicitly.

export type Pair = [string, string];

export const PAIRS_MAX_COUNT = 1024;
export const PAIRS_MAX_BYTES = 1 << 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePairs(pairs: readonly Pair[]): Uint8Array {
  const encoded = pairs.map(([k, v]) => [encoder.encode(k), encoder.encode(v)] as const);
  const size = encoded.reduce((sum, [k, v]) => sum + 8 + k.length + v.length + 2, 4);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, encoded.length, true);
  let data = 4 + encoded.length * 8;
  encoded.forEach(([k, v], i) => {
    view.setUint32(4 + i * 8, k.length, true);
    view.setUint32(8 + i * 8, v.length, true);
    out.set(k, data);
    data += k.length + 1;
    out.set(v, data);
    data += v.length + 1;
  });
  return out;
}

/** Parses with Envoy's rules; null when Envoy would treat the buffer as malformed (→ empty map).
 *  An empty buffer is an empty map. */
export function decodePairs(bytes: Uint8Array): Pair[] | null {
  if (bytes.length === 0) return [];
  if (bytes.length < 4 || bytes.length > PAIRS_MAX_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  if (n > PAIRS_MAX_COUNT || 4 + n * 8 > bytes.length) return null;
  const pairs: Pair[] = [];
  let data = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const keySize = view.getUint32(4 + i * 8, true);
    const valueSize = view.getUint32(8 + i * 8, true);
    if (data + keySize + valueSize + 2 > bytes.length) return null;
    if (bytes[data + keySize] !== 0 || bytes[data + keySize + 1 + valueSize] !== 0) return null;
    const key = decoder.decode(bytes.subarray(data, data + keySize));
    const value = decoder.decode(bytes.subarray(data + keySize + 1, data + keySize + 1 + valueSize));
    pairs.push([key, value]);
    data += keySize + valueSize + 2;
  }
  return data === bytes.length ? pairs : null;
}
