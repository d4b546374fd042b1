// Security events on every replica's LOCAL state too, so a revocation still holds while Redis is
// down. The shared store already makes an event visible to every replica's next check (they read it
// from Redis); but when Redis then fails, each replica falls back to its own in-memory state
// (risk/store/fallback-store.ts), which knows only the events it received itself — a subject
// revoked through replica A would pass at replica B for the length of the outage.
//
// So the replica that accepts an event also PUBLISHes it on a Redis channel, and every replica
// subscribes and applies what it hears to its local fallback store. A replica that was disconnected
// when the event was published learns it from the shared state once connected (the usual path); the
// window left open is "event published while B was cut off from Redis, then Redis fails before B
// reconnects". Messages come from Redis, which is trusted as much as the shared state itself; they
// are still validated (parseSecurityEvent) and a bad one is dropped and reported.
import { Redis, type RedisOptions } from "ioredis";
import { eventUpdate, parseSecurityEvent, type SecurityEvent } from "../risk/events.ts";
import type { EventState, EventTarget } from "../risk/store/types.ts";

export const EVENT_CHANNEL = "mw:risk:events";

/** The local state an event is mirrored into (the fallback store's MemoryStore). */
export interface LocalEventSink {
  applyEventNow(target: EventTarget, update: EventState, nowMs: number): void;
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
  onMessage?(result: "applied" | "invalid", detail?: string): void;
  redis?: RedisOptions;
}

interface Message {
  origin: string;
  event: SecurityEvent;
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
    const message = JSON.stringify({ origin: this.options.origin, event: wireBody(event) });
    await this.publisher.publish(this.channel, message).catch(() => 0);
  }

  private receive(text: string): void {
    let message: Message;
    try {
      const raw = JSON.parse(text) as { origin?: unknown; event?: unknown };
      if (raw.origin === this.options.origin) return;
      message = { origin: String(raw.origin), event: parseSecurityEvent(raw.event, this.options.nowMs()) };
    } catch (err) {
      this.options.onMessage?.("invalid", (err as Error).message);
      return;
    }
    const { event } = message;
    this.options.local.applyEventNow(event.target, eventUpdate(event, this.options.eventTtlMs), this.options.nowMs());
    this.options.onMessage?.("applied");
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
