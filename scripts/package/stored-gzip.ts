// gzip (RFC 1952) with stored deflate blocks: byte-for-byte the same on every machine. A compressed
// stream would depend on the zlib build Node bundles, and with it the image digests pinned in the
// manifests. Used where a reader insists on gzip (Istio's compat-variant Wasm layer); Wasm modules
// are small, so leaving them uncompressed costs little.
import { crc32 } from "node:zlib";

const MAX_STORED = 0xffff;

export function storedGzip(data: Buffer): Buffer {
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): nothing about this machine.
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])];
  let offset = 0;
  do {
    const len = Math.min(MAX_STORED, data.length - offset);
    const last = offset + len >= data.length;
    const header = Buffer.alloc(5);
    header[0] = last ? 1 : 0; // BFINAL, BTYPE=00 (stored)
    header.writeUInt16LE(len, 1);
    header.writeUInt16LE(~len & 0xffff, 3);
    parts.push(header, data.subarray(offset, offset + len));
    offset += len;
  } while (offset < data.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  parts.push(trailer);
  return Buffer.concat(parts);
}
