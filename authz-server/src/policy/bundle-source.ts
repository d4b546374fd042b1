// Where bundles come from: a file path (re-read on each poll) or an http(s) URL polled with ETag /
// If-None-Match (a 304 costs no download), as OPA's bundle plugin does. Each new archive goes to
// ActivePolicy.activate; failures are recorded there (status) and reported to `onResult`
// (metrics, logs), and the last good bundle keeps serving.
// Bounds: a file or download above `maxDownloadBytes` is refused before it is read (size on disk,
// Content-Length) or as soon as the stream passes it; redirects are not followed
// (net/bounded-fetch.ts). Back-off: the ETag of the last archive processed — active or refused — is
// sent as If-None-Match, and ActivePolicy skips an archive whose digest it refused already, so a
// refused bundle is not downloaded and unpacked again on every poll while it stays the same.
import { readFile, stat } from "node:fs/promises";
import { ErrorCodes, errorCodeOf, MeshwardError } from "../errors.ts";
import { boundedFetch, FetchError } from "../net/bounded-fetch.ts";
import { displayUrl } from "../ops/display-url.ts";
import type { ActivePolicy } from "./active-policy.ts";

export type LoadOutcome = { result: "ok" | "unchanged" } | { result: "error"; code: string; message: string };

export interface BundleSourceOptions {
  /** 0: load once. */
  pollIntervalMs: number;
  fetchTimeoutMs?: number;
  /** Largest archive accepted (compressed bytes). */
  maxDownloadBytes?: number;
  onResult?: (outcome: LoadOutcome) => void;
}

/** Default download cap: a bundle's compressed size is at most its unpacked size, whose default
 *  cap is 8 MiB (unpack.ts). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 8 * 1024 * 1024;

export const isUrl = (source: string): boolean => /^https?:\/\//i.test(source);

function fetchFailure(message: string, limit: boolean, cause?: unknown): MeshwardError {
  return new MeshwardError(limit ? ErrorCodes.bundleLimit : ErrorCodes.bundleFetch, message, { cause });
}

export class BundleSource {
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<LoadOutcome> | undefined;
  /** The source as it may be shown (no userinfo or query). */
  readonly shown: string;

  constructor(
    private readonly policy: ActivePolicy,
    readonly source: string,
    private readonly options: BundleSourceOptions,
  ) {
    this.shown = displayUrl(source);
  }

  private get maxBytes(): number {
    return this.options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  }

  /** One load attempt; concurrent callers share it. */
  load(): Promise<LoadOutcome> {
    this.loading ??= this.loadOnce().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async loadOnce(): Promise<LoadOutcome> {
    let outcome: LoadOutcome;
    try {
      const fetched = await this.read();
      if (fetched) this.etag = fetched.etag; // processed below, whatever the result
      outcome = { result: fetched ? await this.policy.activate(fetched.archive, this.shown) : "unchanged" };
    } catch (err) {
      const code = errorCodeOf(err);
      if (code === ErrorCodes.bundleFetch || code === ErrorCodes.bundleLimit) this.policy.recordFailure(err);
      outcome = { result: "error", code, message: (err as Error)?.message ?? String(err) };
    }
    this.options.onResult?.(outcome);
    return outcome;
  }

  /** The archive bytes, or undefined when the server says it has not changed. */
  private async read(): Promise<{ archive: Uint8Array; etag?: string } | undefined> {
    if (!isUrl(this.source)) return { archive: await this.readFile() };
    let response: Awaited<ReturnType<typeof boundedFetch>>;
    try {
      response = await boundedFetch(this.source, {
        maxBytes: this.maxBytes,
        timeoutMs: this.options.fetchTimeoutMs ?? 10_000,
        ...(this.etag ? { headers: { "if-none-match": this.etag } } : {}),
      });
    } catch (err) {
      throw fetchFailure((err as Error).message, err instanceof FetchError && err.limit, err);
    }
    if (response.status === 304) return undefined;
    if (response.status !== 200) throw fetchFailure(`GET ${this.shown}: HTTP ${response.status}`, false);
    const etag = response.headers.get("etag");
    return etag ? { archive: response.body, etag } : { archive: response.body };
  }

  private async readFile(): Promise<Uint8Array> {
    try {
      const tooLarge = (size: number) =>
        fetchFailure(`${this.source}: ${size} bytes, above the limit of ${this.maxBytes}`, true);
      const { size } = await stat(this.source);
      if (size > this.maxBytes) throw tooLarge(size);
      const bytes = await readFile(this.source); // the file may have grown since
      if (bytes.length > this.maxBytes) throw tooLarge(bytes.length);
      return new Uint8Array(bytes);
    } catch (err) {
      if (err instanceof MeshwardError) throw err;
      throw fetchFailure(`${this.source}: ${(err as Error).message}`, false, err);
    }
  }

  /** Starts polling (no-op when the interval is 0). */
  start(): void {
    if (this.options.pollIntervalMs <= 0 || this.timer) return;
    const tick = () => {
      void this.load().finally(() => {
        if (!this.timer) return;
        this.timer = setTimeout(tick, this.options.pollIntervalMs);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
