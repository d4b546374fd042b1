// A bundle archive (.tar.gz) → its files, within limits, without stalling checks: gzip is inflated
// by zlib's asynchronous stream (on libuv's thread pool, 16 KiB at a time), so the event loop only
// counts bytes and stays free for checks; inflation stops at `maxUnpackedBytes` of tar data, so a
// small gzip that would unpack to gigabytes costs a few milliseconds and that many bytes. The tar
// data is then read strictly (tar.ts). Nothing is parsed beyond the archive format here.
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ArchiveError, readTar } from "./tar.ts";

export interface ArchiveLimits {
  /** Most bytes of tar data (file contents, headers and padding) a bundle may unpack to. */
  maxUnpackedBytes: number;
  /** Most tar entries (files, directories, long-name records) a bundle may hold. */
  maxEntries: number;
}

/** Defaults: OPA bundles are a Wasm module of a few hundred KiB plus data; Meshward's largest
 *  unpacks to under 400 KiB. Raise them in `bundle.limits` for bundles with large data. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxUnpackedBytes: 8 * 1024 * 1024, maxEntries: 4096 };

/** The decompressed bytes of a gzip stream, refused once they pass `maxBytes`. */
async function gunzipCapped(archive: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const gunzip = createGunzip();
  const input = Readable.from([archive]);
  input.on("error", (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new ArchiveError(`unpacks to more than ${maxBytes} bytes`, true);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`gzip: ${(err as Error).message}`);
  } finally {
    input.unpipe(gunzip);
    input.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks, total);
}

/** Bundle path → contents; ArchiveError (with `limit` set when a cap refused it) otherwise. */
export async function unpackBundleArchive(
  archive: Uint8Array,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<Map<string, Uint8Array>> {
  const tar = await gunzipCapped(archive, limits.maxUnpackedBytes);
  return readTar(tar, limits.maxEntries);
}
