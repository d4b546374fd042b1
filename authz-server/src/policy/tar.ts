// Minimal reader for the gzipped ustar archives OPA writes (`opa build`): regular files only,
// with GNU long names and pax `path` records honoured. Pure over bytes.
import { gunzipSync } from "node:zlib";

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
