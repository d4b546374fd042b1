// Builds the archives a hostile bundle author could send: any entry type (links, devices), any name
// (absolute, `..`, backslashes), pax and GNU long-name records, duplicates, headers with a wrong
// checksum, data after the end of the archive, and gzip bombs made without holding the unpacked bytes
// in memory. Test-only: the server's own writer (authz-server/src/policy/tar.ts) writes regular
// files only.
import { createGzip, gzipSync } from "node:zlib";

const BLOCK = 512;

export interface RawEntry {
  name: string;
  /** Tar type flag: "0" file, "1" hard link, "2" symlink, "5" directory, "x" pax, "L" GNU name… */
  type?: string;
  data?: Uint8Array | string;
  linkname?: string;
  /** Size written in the header (default: the data's length). */
  declaredSize?: number;
  /** Spoil the header checksum. */
  badChecksum?: boolean;
}

function put(block: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, "utf8").subarray(0, length);
  block.set(bytes, offset);
}

const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;

export function header(entry: RawEntry, size: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  put(block, 0, 100, entry.name);
  put(block, 100, 8, octal(0o644, 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  put(block, 124, 12, octal(entry.declaredSize ?? size, 12));
  put(block, 136, 12, octal(0, 12));
  block.fill(32, 148, 156);
  block[156] = (entry.type ?? "0").charCodeAt(0);
  put(block, 157, 100, entry.linkname ?? "");
  put(block, 257, 6, "ustar\0");
  put(block, 263, 2, "00");
  let sum = 0;
  for (const b of block) sum += b;
  put(block, 148, 8, `${(entry.badChecksum ? sum + 1 : sum).toString(8).padStart(6, "0")}\0 `);
  return block;
}

const bytesOf = (data: Uint8Array | string | undefined) =>
  typeof data === "string" ? Buffer.from(data, "utf8") : (data ?? new Uint8Array(0));

/** An uncompressed tar of `entries`, with `trailer` appended after the end-of-archive blocks. */
export function rawTar(entries: RawEntry[], trailer: Uint8Array = new Uint8Array(0)): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const data = bytesOf(entry.data);
    parts.push(header(entry, data.length), data, new Uint8Array((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(new Uint8Array(2 * BLOCK), trailer);
  return Buffer.concat(parts);
}

export const tarGz = (entries: RawEntry[], trailer?: Uint8Array): Uint8Array =>
  new Uint8Array(gzipSync(rawTar(entries, trailer)));

/** A pax extended header record set ("<len> key=value\n"). */
export function pax(records: Record<string, string>): string {
  let out = "";
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let length = body.length + 1;
    while (`${length}${body}`.length !== length) length++;
    out += `${length}${body}`;
  }
  return out;
}

/** A gzip whose tar holds one file entry of `unpackedBytes` zeros: a few hundred KiB that unpack
 *  to `unpackedBytes` (made in 1 MiB steps, never held whole). */
export async function gzipBomb(unpackedBytes: number, name = "/data.json"): Promise<Uint8Array> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on("end", resolve);
    gzip.on("error", reject);
  });
  gzip.write(header({ name }, unpackedBytes));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = unpackedBytes; left > 0; left -= zeros.length) {
    if (!gzip.write(left >= zeros.length ? zeros : zeros.subarray(0, left)))
      await new Promise((resolve) => gzip.once("drain", resolve));
  }
  gzip.end(Buffer.alloc(2 * BLOCK));
  await done;
  return Buffer.concat(out);
}

/** `count` empty files: a tiny gzip with a huge entry list. */
export function manyEntries(count: number): Uint8Array {
  const entries: RawEntry[] = [];
  for (let i = 0; i < count; i++) entries.push({ name: `/f/${i}.rego` });
  return tarGz(entries);
}
