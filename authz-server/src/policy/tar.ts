// Minimal reader for the gzipped ustar archives OPA writes (`opa build`): regular files only,
// with GNU long names and pax `path` records honoured. Pure over bytes.
import { gunzipSync, gzipSync } from "node:zlib";

const BLOCK = 512;

function field(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? slice : slice.subarray(0, nul));
}

function octal(block: Uint8Array, offset: number, length: number): number {
  const text = field(block, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: bad octal field "${text}"`);
  return Number.parseInt(text, 8);
}

/** Returns file path → contents. Paths are normalised to start with "/" like OPA's bundle paths. */
export function readTarGz(archive: Uint8Array, maxBytes = 256 * 1024 * 1024): Map<string, Uint8Array> {
  const tar = gunzipSync(archive, { maxOutputLength: maxBytes });
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(header, 345, 155);
    let name = field(header, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error(`tar: entry ${name} runs past the end of the archive`);
    const data = tar.subarray(dataStart, dataStart + size);
    if (type === "L") {
      longName = new TextDecoder().decode(data).replace(/\0+$/, "");
    } else if (type === "x") {
      const path = /\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data));
      if (path?.[1]) longName = path[1];
    } else {
      if (type === "0" || type === "\0") {
        const path = (longName ?? name).replace(/^\.?\/*/, "/");
        files.set(path, Uint8Array.from(data));
      }
      longName = undefined;
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

function writeField(block: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) throw new Error(`tar: field too long: ${text}`);
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeField(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/** Writes files (paths as in readTarGz, leading "/") as a gzipped ustar archive, names up to 255
 *  bytes (prefix + name), mode 0600, mtime 0, as `opa build` does. */
export function writeTarGz(files: Map<string, Uint8Array>): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [path, data] of files) {
    const header = new Uint8Array(BLOCK);
    let name = path;
    let prefix = "";
    if (new TextEncoder().encode(name).length > 100) {
      const cut = name.lastIndexOf("/", name.length - 2);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    writeField(header, 0, 100, name);
    writeOctal(header, 100, 8, 0o600);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, data.length);
    writeOctal(header, 136, 12, 0);
    header.fill(32, 148, 156); // checksum field counts as spaces while summing
    header[156] = 48; // '0': regular file
    writeField(header, 257, 6, "ustar\0");
    writeField(header, 263, 2, "00");
    writeField(header, 345, 155, prefix);
    let sum = 0;
    for (const b of header) sum += b;
    writeField(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    blocks.push(header, data, new Uint8Array((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  blocks.push(new Uint8Array(BLOCK * 2));
  return new Uint8Array(gzipSync(Buffer.concat(blocks)));
}
