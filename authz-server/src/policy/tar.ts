// Reader and writer for the ustar archives inside OPA bundles (`opa build` writes them with Go's
// archive/tar; `tar czf` writes GNU ones). The reader is strict because a bundle may be hostile and
// what it returns is what a signature is checked against:
//   - only regular files, directories, pax records (`path` only) and GNU long names are accepted;
//     symlinks, hard links, devices, FIFOs, sparse and any other entry type are refused by name;
//   - every header's checksum must match; sizes are octal (base-256 sizes cannot fit the caps);
//   - names: one leading `/` or `./` is the bundle root (OPA writes `/data.json`); a name that leaves
//     the root or is ambiguous — `..` or `.` segments, empty segments (`//x`), backslashes, NUL,
//     a drive letter — is refused, as is a file that appears twice;
//   - at most `maxEntries` entries; after the end-of-archive blocks only zero padding may follow.
// The decompressed size is capped before this runs (unpack.ts). Pure over bytes.
import { gzipSync } from "node:zlib";

const BLOCK = 512;

export class ArchiveError extends Error {
  constructor(
    message: string,
    /** True when a configured limit (not the format) refused the archive. */
    readonly limit = false,
  ) {
    super(message);
  }
}

function field(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return Buffer.from(nul === -1 ? slice : slice.subarray(0, nul)).toString("utf8");
}

function octal(block: Uint8Array, offset: number, length: number, name: string): number {
  if ((block[offset] ?? 0) & 0x80) throw new ArchiveError(`tar: ${name}: base-256 numbers are not supported`);
  const text = field(block, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError(`tar: bad octal field ${JSON.stringify(text)}`);
  return Number.parseInt(text, 8);
}

function checksumMatches(header: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
  return octal(header, 148, 8, "checksum") === sum;
}

const TYPE_NAMES: Record<string, string> = {
  "1": "hard link",
  "2": "symbolic link",
  "3": "character device",
  "4": "block device",
  "6": "FIFO",
  "7": "contiguous file",
  K: "GNU long link name",
  S: "GNU sparse file",
  g: "pax global header",
};

/** The bundle path ("/a/b.json") of an entry name, or an ArchiveError saying why it is refused. */
export function bundlePath(name: string): string {
  const rooted = name.startsWith("./") ? name.slice(2) : name.startsWith("/") ? name.slice(1) : name;
  const relative = rooted.endsWith("/") ? rooted.slice(0, -1) : rooted;
  if (relative === "") throw new ArchiveError(`tar: entry ${JSON.stringify(name)} names the bundle root`);
  if (/[\\\0]/.test(relative) || /^[A-Za-z]:/.test(relative))
    throw new ArchiveError(`tar: entry ${JSON.stringify(name)}: backslash, NUL or drive letter in the name`);
  for (const segment of relative.split("/")) {
    if (segment === "" || segment === "." || segment === "..")
      throw new ArchiveError(`tar: entry ${JSON.stringify(name)} leaves or hides its place in the bundle`);
  }
  return `/${relative}`;
}

/** The `path` record of a pax extended header; any record that would change how the archive is
 *  read (`size`, link names) is refused. */
function paxPath(data: Uint8Array): string | undefined {
  let path: string | undefined;
  let rest = Buffer.from(data).toString("utf8");
  while (rest.length > 0) {
    const m = /^(\d+) ([^=\n]+)=/.exec(rest);
    if (!m) throw new ArchiveError("tar: malformed pax record");
    const length = Number(m[1]);
    const record = rest.slice(0, length);
    if (!record.endsWith("\n") || length <= m[0].length) throw new ArchiveError("tar: malformed pax record");
    const key = m[2] as string;
    const value = record.slice(m[0].length, -1);
    if (key === "path") path = value;
    else if (key === "size" || key === "linkpath")
      throw new ArchiveError(`tar: pax "${key}" records are not supported`);
    rest = rest.slice(length);
  }
  return path;
}

/** Regular files of an uncompressed tar archive: bundle path → contents (copies). */
export function readTar(tar: Uint8Array, maxEntries: number): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  let entries = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) {
      if (!tar.subarray(offset).every((b) => b === 0)) throw new ArchiveError("tar: data after the end of the archive");
      return files;
    }
    if (!checksumMatches(header)) throw new ArchiveError(`tar: header checksum mismatch at byte ${offset}`);
    if (++entries > maxEntries) throw new ArchiveError(`tar: more than ${maxEntries} entries`, true);
    const size = octal(header, 124, 12, "size");
    const type = String.fromCharCode(header[156] ?? 0);
    // Only POSIX ustar headers ("ustar\0") have a name prefix; GNU ones keep other fields there.
    const prefix = field(header, 257, 6) === "ustar" ? field(header, 345, 155) : "";
    const raw = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new ArchiveError(`tar: entry ${raw} runs past the end of the archive`);
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = Buffer.from(data).toString("utf8").replace(/\0+$/, "");
      continue;
    }
    if (type === "x") {
      longName = paxPath(data) ?? longName;
      continue;
    }
    const name = longName ?? raw;
    longName = undefined;
    const refused = TYPE_NAMES[type];
    if (refused) throw new ArchiveError(`tar: entry ${JSON.stringify(name)} is a ${refused}; bundles hold files only`);
    if (type === "5") {
      if (!/^\.?\/?$/.test(name)) bundlePath(name); // the root itself ("./") is fine
      continue;
    }
    const path = bundlePath(name);
    if (type !== "0" && type !== "\0") throw new ArchiveError(`tar: entry ${JSON.stringify(name)} has unknown type`);
    if (files.has(path)) throw new ArchiveError(`tar: ${path} appears twice`);
    files.set(path, Uint8Array.from(data));
  }
  if (offset !== tar.length) throw new ArchiveError("tar: archive ends inside a header");
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

/** Writes files (paths as readTar returns them, leading "/") as a gzipped ustar archive, names up
 *  to 255 bytes (prefix + name), mode 0600, mtime 0, as `opa build` does. */
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
