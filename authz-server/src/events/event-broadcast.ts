// Security events and failed-auth records on every replica's LOCAL state too, so a revocation or a
// burst of failed logins still counts while Redis is down. The shared store already makes them
// visible to every replica's next check (they read Redis); but when Redis then fails, each replica
// falls back to its own in-memory state (risk/store/fallback-store.ts), which knows only what it
// received itself — a subject revoked through replica A would pass at replica B for the length of
// the outage, and failures counted at A would be forgotten at B.
//
// So the replica that accepts an event or records a failure also PUBLISHes it on a Redis channel,
// and every replica subscribes and applies what it hears to its local fallback store:
// - events: the origin skips its own message (FallbackStore.applyEvent already applied it locally);
// - failures: the origin applies its own message too (while shared, FallbackStore records failures
//   in Redis only). If Redis is down the publish fails and FallbackStore records locally instead,
//   so a failure is not counted twice (except on a stalled-but-connected Redis: cautious side).
// A replica that was disconnected when a message was published learns the state from Redis once
// connected (the usual path); the window left open is "published while B was cut off from Redis,
// then Redis fails before B reconnects". Cost: one PUBLISH per failure or event, none per check.
// Messages come from Redis, trusted as much as the shared state itself; they are still validated
// and a bad one is dropped and reported.
import { Redis, type RedisOptions } from "ioredis";
import { parseJsonStrict } from "../json/untrusted-json.ts";
import { eventUpdate, parseSecurityEvent, type SecurityEvent } from "../risk/events.ts";
import type { EventState, EventTarget } from "../risk/store/types.ts";

export const EVENT_CHANNEL = "mw:risk:events";

/** The local state an event is mirrored into (the fallback store's MemoryStore). */
export interface LocalEventSink {
  applyEventNow(target: EventTarget, update: EventState, nowMs: number): void;
  recordFailureNow(principal: string | null, ip: string | null, nowMs: number): void;
}

/** A failed-auth record as it travels: the principal (≤ 2048 chars, a SPIFFE ID's limit) and/or the source IP. */
export interface FailureRecord {
  principal: string | null;
  ip: string | null;
  atMs: number;
}

export interface EventBroadcastOptions {
  url: string;
  /** Channel name (tests isolate themselves with their own). */
  channel?: string;
  /** This replica's id: its own messages are skipped (it applied the event already). */
  origin: string;
  local: LocalEventSink;
  /** Event lifetime for `risk-level-change` without ttl (the engine's `state.eventTtlMs`). */
  eventTtlMs: number;
  nowMs: () => number;
  onMessage?(kind: "event" | "failure", result: "applied" | "invalid", detail?: string): void;
  redis?: RedisOptions;
}

function nullableName(value: unknown, what: string): string | null {
  if (value === null) return null;
  if (typeof value === "string" && value !== "" && value.length <= 2048) return value;
  throw new Error(`failure.${what}: expected null or a string of 1..2048 chars`);
}

function parseFailure(raw: unknown): FailureRecord {
  const f = (raw ?? {}) as Record<string, unknown>;
  if (typeof f.atMs !== "number" || !Number.isFinite(f.atMs)) throw new Error("failure.atMs: expected a number");
  const failure = { principal: nullableName(f.principal, "principal"), ip: nullableName(f.ip, "ip"), atMs: f.atMs };
  if (failure.principal === null && failure.ip === null) throw new Error("failure: neither principal nor ip");
  return failure;
}

/** The admin body that reproduces a parsed event (parseSecurityEvent's input shape). */
function wireBody(event: SecurityEvent): Record<string, unknown> {
  return {
    event_type: event.type,
    subject: { format: event.target.kind, id: event.target.id },
    event_timestamp: event.atMs / 1000,
    ...(event.level ? { current_level: event.level } : {}),
    ...(event.ttlMs !== undefined ? { ttl_seconds: event.ttlMs / 1000 } : {}),
  };
}

export class EventBroadcast {
  private readonly subscriber: Redis;
  private readonly channel: string;

  constructor(
    private readonly publisher: Pick<Redis, "publish">,
    private readonly options: EventBroadcastOptions,
  ) {
    this.channel = options.channel ?? EVENT_CHANNEL;
    // A connection of its own (subscriber mode); ioredis reconnects and resubscribes by itself.
    this.subscriber = new Redis(options.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1000),
      ...options.redis,
    });
    this.subscriber.on("error", () => {}); // state changes are the fallback store's to report
    this.subscriber.on("message", (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    this.subscriber.subscribe(this.channel).catch(() => {});
  }

  /** Resolves once subscribed (tests wait for it; the server does not need to). */
  async ready(): Promise<void> {
    if (this.subscriber.status !== "ready") await new Promise((r) => this.subscriber.once("ready", r));
    await this.subscriber.subscribe(this.channel);
  }

  /** Tells the other replicas; a failure (Redis down) is ignored: they read it from Redis later. */
  async publish(event: SecurityEvent): Promise<void> {
    await this.send({ origin: this.options.origin, event: wireBody(event) });
  }

  /** Tells every replica, this one included (see the header comment). */
  async publishFailure(failure: FailureRecord): Promise<void> {
    await this.send({ origin: this.options.origin, failure });
  }

  private async send(message: object): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(message)).catch(() => 0);
  }

  private receive(text: string): void {
    const { options } = this;
    let kind: "event" | "failure" = "event";
    try {
      const raw = parseJsonStrict(text) as { origin?: unknown; event?: unknown; failure?: unknown };
      if (raw.failure !== undefined) {
        kind = "failure";
        const f = parseFailure(raw.failure);
        options.local.recordFailureNow(f.principal, f.ip, f.atMs);
      } else {
        if (raw.origin === options.origin) return;
        const event = parseSecurityEvent(raw.event, options.nowMs());
        options.local.applyEventNow(event.target, eventUpdate(event, options.eventTtlMs), options.nowMs());
      }
    } catch (err) {
      options.onMessage?.(kind, "invalid", (err as Error).message);
      return;
    }
    options.onMessage?.(kind, "applied");
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
