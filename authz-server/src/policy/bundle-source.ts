// Where bundles come from: a file path (re-read on each poll) or an http(s) URL polled with ETag /
// If-None-Match (a 304 costs no download), as OPA's bundle plugin does. Each new archive goes to
// ActivePolicy.activate; failures are recorded there (status) and reported to `onResult`
// (metrics, logs), and the last good bundle keeps serving.
import { readFile } from "node:fs/promises";
import { ErrorCodes, errorCodeOf, MeshwardError } from "../errors.ts";
import type { ActivePolicy } from "./active-policy.ts";

export type LoadOutcome = { result: "ok" | "unchanged" } | { result: "error"; code: string; message: string };

export interface BundleSourceOptions {
  /** 0: load once. */
  pollIntervalMs: number;
  fetchTimeoutMs?: number;
  onResult?: (outcome: LoadOutcome) => void;
}

export const isUrl = (source: string): boolean => /^https?:\/\//i.test(source);

export class BundleSource {
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<LoadOutcome> | undefined;

  constructor(
    private readonly policy: ActivePolicy,
    readonly source: string,
    private readonly options: BundleSourceOptions,
  ) {}

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
      outcome = { result: fetched ? await this.policy.activate(fetched.archive, this.source) : "unchanged" };
      // Remember the ETag only once its bundle is active, so a refused bundle is fetched again.
      if (fetched) this.etag = fetched.etag;
    } catch (err) {
      if (errorCodeOf(err) === ErrorCodes.bundleFetch) this.policy.recordFailure(err);
      outcome = { result: "error", code: errorCodeOf(err), message: (err as Error)?.message ?? String(err) };
    }
    this.options.onResult?.(outcome);
    return outcome;
  }

  /** The archive bytes, or undefined when the server says it has not changed. */
  private async read(): Promise<{ archive: Uint8Array; etag?: string } | undefined> {
    if (!isUrl(this.source)) {
      try {
        return { archive: new Uint8Array(await readFile(this.source)) };
      } catch (err) {
        throw new MeshwardError(ErrorCodes.bundleFetch, `${this.source}: ${(err as Error).message}`, { cause: err });
      }
    }
    let response: Response;
    try {
      response = await fetch(this.source, {
        headers: this.etag && this.policy.evaluator ? { "if-none-match": this.etag } : {},
        signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new MeshwardError(ErrorCodes.bundleFetch, `GET ${this.source}: ${(err as Error).message}`, { cause: err });
    }
    if (response.status === 304) return undefined;
    if (response.status !== 200) {
      throw new MeshwardError(ErrorCodes.bundleFetch, `GET ${this.source}: HTTP ${response.status}`);
    }
    const archive = new Uint8Array(await response.arrayBuffer());
    const etag = response.headers.get("etag");
    return etag ? { archive, etag } : { archive };
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
