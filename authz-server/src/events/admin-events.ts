// The admin endpoint for security events, `POST /admin/v1/events` on the HTTP listener, without
// the HTTP framework: authentication, body parsing and the answer. The event semantics (CAEP-like
// `session-revoked`, `credential-change`, `risk-level-change`) live in risk/events.ts.
//
// Authentication: `Authorization: Bearer <token>` against the configured token. Both are hashed
// with SHA-256 and compared with `timingSafeEqual`, so the comparison takes the same time whatever
// the presented token is (length included) and leaks nothing about the secret. Anything else is a
// 401 with `WWW-Authenticate: Bearer realm="meshward-admin"` and no detail.
import { createHash, timingSafeEqual } from "node:crypto";
import { parseJsonStrict } from "../json/untrusted-json.ts";

export const ADMIN_EVENTS_PATH = "/admin/v1/events";

/** Result of applying one event body (risk/events.ts `handleSecurityEvent`). */
export interface EventApplyResult {
  status: number;
  body: unknown;
}

export type EventOutcome = "accepted" | "invalid" | "unauthorized" | "error";

export interface AdminEventsOptions {
  /** The bearer token, as configured (at least MIN_ADMIN_TOKEN_LENGTH characters). */
  token: string;
  /** Validates and applies the event (202) or names the bad field (400). May reject (store down). */
  apply(body: unknown, nowMs: number): Promise<EventApplyResult>;
  nowMs(): number;
  /** Called once per request (metrics, log); `type` is the body's event_type when readable. */
  onResult?(outcome: EventOutcome, type: string, detail?: string): void;
}

export interface AdminReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** Constant-time check of an `Authorization` header value against the expected token. */
export function bearerMatches(authorization: string | undefined, expectedDigest: Buffer): boolean {
  const match = authorization ? /^Bearer +(\S+) *$/i.exec(authorization) : null;
  // Hash something even without a token so both paths cost the same.
  const presented = digest(match?.[1] ?? "");
  return timingSafeEqual(presented, expectedDigest) && match !== null;
}

function eventTypeOf(body: unknown): string {
  const type = (body as { event_type?: unknown } | null)?.event_type;
  return typeof type === "string" && type.length <= 200 ? type : "unknown";
}

const JSON_HEADERS = { "content-type": "application/json" };

export class AdminEvents {
  private readonly expected: Buffer;

  constructor(private readonly options: AdminEventsOptions) {
    this.expected = digest(options.token);
  }

  /** One request: `authorization` header value and the raw body. Never rejects. */
  async handle(authorization: string | undefined, rawBody: Buffer | undefined): Promise<AdminReply> {
    const { options } = this;
    if (!bearerMatches(authorization, this.expected)) {
      options.onResult?.("unauthorized", "unknown");
      return {
        status: 401,
        headers: { ...JSON_HEADERS, "www-authenticate": 'Bearer realm="meshward-admin"' },
        body: { error: "unauthorized" },
      };
    }
    let body: unknown;
    try {
      body = parseJsonStrict((rawBody ?? Buffer.alloc(0)).toString("utf8"));
    } catch (err) {
      options.onResult?.("invalid", "unknown", "body is not JSON");
      return {
        status: 400,
        headers: JSON_HEADERS,
        body: { error: `body is not JSON: ${(err as Error).message}`, field: "(body)" },
      };
    }
    const type = eventTypeOf(body);
    try {
      const result = await options.apply(body, options.nowMs());
      options.onResult?.(result.status === 202 ? "accepted" : "invalid", type);
      return { status: result.status, headers: JSON_HEADERS, body: result.body };
    } catch (err) {
      // The event could not be stored (neither shared nor locally): tell the caller to retry.
      options.onResult?.("error", type, (err as Error)?.message ?? String(err));
      return { status: 503, headers: JSON_HEADERS, body: { error: "event not applied, retry" } };
    }
  }
}
