// Security events (CAEP-like, OpenID Shared Signals): validation of the admin endpoint's body and
// the state update each event type means. The server mounts the authenticated HTTP endpoint and calls
// `handleSecurityEvent`; the effect reaches every replica through the shared store on its next check.
//
// Body (JSON):
//   { "event_type": "session-revoked" | "credential-change" | "risk-level-change"
//                   (or the CAEP URI https://schemas.openid.net/secevent/caep/event-type/<name>),
//     "subject": { "format": "subject" | "session" | "token", "id": "<sub | sid | jti>" },
//     "event_timestamp": <seconds since the epoch, optional, default now>,
//     "current_level": "low|medium|high|critical" (risk-level-change only; case-insensitive as CAEP
//                      writes LOW/MEDIUM/HIGH),
//     "ttl_seconds": <how long the level floor holds, optional; default the store's event TTL> }
// Effects: session-revoked — a session or token is blocked; for a subject, every credential issued at
// or before the event is (a new login afterwards is not). credential-change — the subject's tokens
// issued before the change score at least `high` (step-up). risk-level-change — a level floor.
import type { EventState, EventTarget } from "./store/types.ts";
import { isRiskLevel, type RiskLevel } from "./types.ts";

export const EVENT_TYPES = ["session-revoked", "credential-change", "risk-level-change"] as const;
export type SecurityEventType = (typeof EVENT_TYPES)[number];

const CAEP_PREFIX = "https://schemas.openid.net/secevent/caep/event-type/";
/** Events dated further ahead than this are rejected (a wrong clock would revoke future logins). */
const MAX_FUTURE_MS = 300_000;

export interface SecurityEvent {
  type: SecurityEventType;
  target: EventTarget;
  atMs: number;
  level?: RiskLevel;
  ttlMs?: number;
}

export class SecurityEventError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`security event ${field}: ${problem}`);
    this.name = "SecurityEventError";
  }
}

function field(body: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(body, name) ? body[name] : undefined;
}

/** Validates an event body; throws SecurityEventError naming the field. */
export function parseSecurityEvent(body: unknown, nowMs: number): SecurityEvent {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new SecurityEventError("(body)", "expected a JSON object");
  const b = body as Record<string, unknown>;
  const known = ["event_type", "subject", "event_timestamp", "current_level", "ttl_seconds", "reason_admin"];
  for (const k of Object.keys(b))
    if (!known.includes(k)) throw new SecurityEventError(k, `unknown field (known: ${known.join(", ")})`);
  const rawType = field(b, "event_type");
  const type =
    typeof rawType === "string" && rawType.startsWith(CAEP_PREFIX) ? rawType.slice(CAEP_PREFIX.length) : rawType;
  if (!(EVENT_TYPES as readonly unknown[]).includes(type))
    throw new SecurityEventError(
      "event_type",
      `expected one of ${EVENT_TYPES.join(", ")}, got ${JSON.stringify(rawType)}`,
    );
  const subject = field(b, "subject");
  if (typeof subject !== "object" || subject === null) throw new SecurityEventError("subject", "expected {format, id}");
  const { format, id } = subject as Record<string, unknown>;
  if (format !== "subject" && format !== "session" && format !== "token")
    throw new SecurityEventError("subject.format", `expected subject|session|token, got ${JSON.stringify(format)}`);
  if (typeof id !== "string" || id === "" || id.length > 1024)
    throw new SecurityEventError("subject.id", "expected a non-empty string (≤ 1024 chars)");
  if (type === "credential-change" && format !== "subject")
    throw new SecurityEventError("subject.format", "credential-change applies to a subject");
  const ts = field(b, "event_timestamp");
  let atMs = nowMs;
  if (ts !== undefined) {
    if (typeof ts !== "number" || !Number.isFinite(ts) || ts < 0)
      throw new SecurityEventError("event_timestamp", "expected seconds since the epoch");
    atMs = Math.round(ts * 1000);
    if (atMs > nowMs + MAX_FUTURE_MS)
      throw new SecurityEventError("event_timestamp", `more than ${MAX_FUTURE_MS / 1000} s in the future`);
  }
  const event: SecurityEvent = { type: type as SecurityEventType, target: { kind: format, id }, atMs };
  const level = field(b, "current_level");
  const ttl = field(b, "ttl_seconds");
  if (type === "risk-level-change") {
    const lower = typeof level === "string" ? level.toLowerCase() : level;
    if (!isRiskLevel(lower))
      throw new SecurityEventError("current_level", `expected low|medium|high|critical, got ${JSON.stringify(level)}`);
    event.level = lower;
    if (ttl !== undefined) {
      if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0)
        throw new SecurityEventError("ttl_seconds", "expected a positive number");
      event.ttlMs = Math.round(ttl * 1000);
    }
  } else if (level !== undefined || ttl !== undefined) {
    throw new SecurityEventError(level !== undefined ? "current_level" : "ttl_seconds", `only for risk-level-change`);
  }
  return event;
}

/** The store update an event means; `defaultTtlMs` bounds a level floor without `ttl_seconds`. */
export function eventUpdate(event: SecurityEvent, defaultTtlMs: number): EventState {
  switch (event.type) {
    case "session-revoked":
      return { revokedAtMs: event.atMs };
    case "credential-change":
      return { credentialChangedAtMs: event.atMs };
    case "risk-level-change":
      return { riskLevel: event.level as RiskLevel, riskLevelUntilMs: event.atMs + (event.ttlMs ?? defaultTtlMs) };
  }
}

export interface EventSink {
  applyEvent(event: SecurityEvent, nowMs: number): Promise<void>;
}

/** The admin endpoint's logic: 202 when applied, 400 with the field when invalid. */
export async function handleSecurityEvent(
  sink: EventSink,
  body: unknown,
  nowMs: number,
): Promise<{ status: 202 | 400; body: { accepted: true; event: SecurityEvent } | { error: string; field: string } }> {
  let event: SecurityEvent;
  try {
    event = parseSecurityEvent(body, nowMs);
  } catch (err) {
    if (err instanceof SecurityEventError) return { status: 400, body: { error: err.message, field: err.field } };
    throw err;
  }
  await sink.applyEvent(event, nowMs);
  return { status: 202, body: { accepted: true, event } };
}
