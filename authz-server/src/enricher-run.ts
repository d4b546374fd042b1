// One check's pass over the input enrichers (enrich.ts): synchronous while they are, async from
// the first one that returns a promise, bounded by the check's deadline. Headers the enrichers
// contribute are validated here (a JWT `sub` must not be able to split headers).
import type { JsonObject } from "@bufbuild/protobuf";
import type { EnrichContext, Enrichment, InputEnricher } from "./enrich.ts";
import { ErrorCodes, MeshwardError } from "./errors.ts";
import type { CheckRequest } from "./gen/envoy/service/auth/v3/external_auth_pb.ts";
import { checkHeaderName, checkHeaderValue, type HeaderPair } from "./translate/decision.ts";
import type { PolicyInput } from "./translate/input.ts";

/** Monotonic clock (ms) and wall clock (ms since the epoch). */
export interface RunClock {
  nowMs(): number;
  monotonicMs(): number;
}

/** One check's pass over the enrichers: synchronous while they are, async from the first promise.
 *  It is itself the EnrichContext the enrichers see. The deadline signal (and its timer) exists
 *  only if an enricher reads `signal` or goes async; `signal` is a prototype getter on purpose: an
 *  object literal with an accessor per check cost ~8 µs per check (bench/authz-check.ts). */
export class EnricherRun implements EnrichContext {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly headers: HeaderPair[] = [];
  /** Dynamic metadata the enrichers contributed; undefined while none did. */
  metadata: JsonObject | undefined;
  readonly nowMs: number;

  constructor(
    readonly request: CheckRequest,
    readonly input: PolicyInput,
    readonly meshward: Record<string, unknown>,
    private readonly clock: RunClock,
    private readonly deadline: number,
  ) {
    this.nowMs = clock.nowMs();
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      const remaining = this.deadline - this.clock.monotonicMs();
      if (Number.isFinite(remaining)) this.timer = setTimeout(() => controller.abort(), Math.max(0, remaining));
    }
    return this.controller.signal;
  }

  next(enrichers: readonly InputEnricher[], from: number): HeaderPair[] | Promise<HeaderPair[]> {
    for (let i = from; i < enrichers.length; i++) {
      const enricher = enrichers[i] as InputEnricher;
      let pending: Enrichment | undefined | Promise<Enrichment | undefined>;
      try {
        pending = enricher.enrich(this);
      } catch (err) {
        throw wrapEnricherError(enricher, err);
      }
      if (pending instanceof Promise) {
        return abortable(pending, this.signal).then(
          (enrichment) => {
            this.collect(enricher, enrichment);
            return this.next(enrichers, i + 1);
          },
          (err) => {
            throw wrapEnricherError(enricher, err);
          },
        );
      }
      this.collect(enricher, pending);
    }
    return this.headers;
  }

  private collect(enricher: InputEnricher, enrichment: Enrichment | undefined): void {
    if (enrichment?.dynamicMetadata) this.metadata = { ...this.metadata, ...enrichment.dynamicMetadata };
    for (const [name, value] of enrichment?.upstreamHeaders ?? []) {
      // Header values may come from tokens (a JWT `sub`): never let them split headers.
      try {
        this.headers.push([checkHeaderName(name, enricher.name), checkHeaderValue(value, name, enricher.name)]);
      } catch (err) {
        throw new MeshwardError(ErrorCodes.enrich, (err as Error).message);
      }
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

function wrapEnricherError(enricher: InputEnricher, err: unknown): MeshwardError {
  if (err instanceof MeshwardError) return err;
  return new MeshwardError(ErrorCodes.enrich, `${enricher.name}: ${(err as Error)?.message ?? err}`, { cause: err });
}

function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new MeshwardError(ErrorCodes.deadline, "check deadline passed"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new MeshwardError(ErrorCodes.deadline, "check deadline passed"));
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
