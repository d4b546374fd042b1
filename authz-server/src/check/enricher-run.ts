// One check's pass over the input enrichers (enricher.ts): synchronous while they are, async from
// the first one that returns a promise, bounded by the check's deadline. Headers the enrichers
// contribute are validated here (a JWT `sub` must not be able to split headers).
import type { JsonObject } from "@bufbuild/protobuf";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import type { CheckRequest } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import { checkHeaderName, checkHeaderValue, type HeaderPair } from "../translate/decision.ts";
import type { PolicyInput, TranslatedRequest } from "../translate/input.ts";
import type { CheckObserver } from "./check-record.ts";
import type { CheckClock } from "./clock.ts";
import type { EnrichContext, Enrichment, InputEnricher } from "./enricher.ts";

/** One check's pass over the enrichers: synchronous while they are, async from the first promise.
 *  It is itself the EnrichContext the enrichers see. The deadline signal (and its timer) exists
 *  only if an enricher reads `signal`; an async enricher is bounded by the shared DeadlineSweeper
 *  instead. `signal` is a prototype getter on purpose: an object literal with an accessor per check
 *  cost ~8 µs per check (bench/authz-check.ts). */
export class EnricherRun implements EnrichContext {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly headers: HeaderPair[] = [];
  /** Dynamic metadata the enrichers contributed; undefined while none did. */
  metadata: JsonObject | undefined;
  /** The enrichers' `onFinish` callbacks; undefined while none asked. */
  finishers: CheckObserver[] | undefined;
  readonly nowMs: number;

  constructor(
    private readonly translated: TranslatedRequest,
    readonly meshward: Record<string, unknown>,
    private readonly clock: CheckClock,
    private readonly deadline: number,
  ) {
    this.nowMs = clock.nowMs();
  }

  get request(): CheckRequest {
    return this.translated.request;
  }

  /** Built on first read: most enrichers never read it (translate/input.ts). */
  get input(): PolicyInput {
    return this.translated.object;
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
        return this.bounded(pending).then(
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

  /** `pending`, rejected with MW_DEADLINE once the check's deadline passes (shared sweeper timer). */
  private bounded<T>(pending: Promise<T>): Promise<T> {
    if (this.controller?.signal.aborted || this.clock.monotonicMs() >= this.deadline)
      return Promise.reject(deadlineError());
    if (!Number.isFinite(this.deadline)) return pending;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { deadline: this.deadline, clock: this.clock, expire: () => reject(deadlineError()) };
      sweeper.add(waiter);
      pending.then(
        (v) => {
          sweeper.remove(waiter);
          resolve(v);
        },
        (e) => {
          sweeper.remove(waiter);
          reject(e);
        },
      );
    });
  }

  private collect(enricher: InputEnricher, enrichment: Enrichment | undefined): void {
    if (enrichment?.dynamicMetadata) this.metadata = { ...this.metadata, ...enrichment.dynamicMetadata };
    if (enrichment?.onFinish) {
      this.finishers ??= [];
      this.finishers.push(enrichment.onFinish);
    }
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

function deadlineError(): MeshwardError {
  return new MeshwardError(ErrorCodes.deadline, "check deadline passed");
}

interface Waiter {
  deadline: number;
  clock: CheckClock;
  expire(): void;
}

/** Deadlines are checked every SWEEP_MS: an async enricher may overrun its check's deadline by up
 *  to that much. The timer stops after IDLE_SWEEPS sweeps with nothing pending. */
const SWEEP_MS = 5;
const IDLE_SWEEPS = 200;

/**
 * One timer for the deadlines of every async enricher in flight, instead of a timer and an
 * AbortController per check: those cost ~8 µs CPU per check (bench/authz-check.ts, risk variants),
 * more than the risk engine's own scoring. Adding and removing a waiter is a Set operation.
 */
class DeadlineSweeper {
  private readonly waiting = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private idle = 0;

  add(waiter: Waiter): void {
    this.waiting.add(waiter);
    this.idle = 0;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
  }

  remove(waiter: Waiter): void {
    this.waiting.delete(waiter);
  }

  private sweep(): void {
    if (this.waiting.size === 0) {
      if (++this.idle >= IDLE_SWEEPS && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      return;
    }
    for (const waiter of this.waiting) {
      if (waiter.clock.monotonicMs() >= waiter.deadline) {
        this.waiting.delete(waiter);
        waiter.expire();
      }
    }
  }
}

const sweeper = new DeadlineSweeper();
