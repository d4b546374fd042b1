// The live page's view of individual checks: a CheckService observer that keeps the most recent
// decisions (a fixed-size ring, oldest overwritten) with what a person watching wants to see —
// method, path, allow/deny, status, reason, risk level and score — and nothing that could carry a
// credential (no headers, no query string, no body). O(1) per check. Pure; time is a parameter.
import { type CheckRecord, meshwardOf } from "../check/check-record.ts";

export interface RecentDecision {
  atMs: number;
  allowed: boolean;
  /** The HTTP status a deny answers with (403 unless the policy said otherwise); 200 on allow. */
  status: number;
  method: string;
  /** Path without the query string, at most MAX_PATH characters. */
  path: string;
  /** "policy" or the MW_* error code. */
  reason: string;
  riskLevel?: string;
  riskScore?: number;
}

const MAX_PATH = 120;

interface HttpAttributes {
  method?: string;
  path?: string;
}

function requestOf(record: CheckRecord): HttpAttributes {
  const attributes = record.input?.attributes as { request?: { http?: HttpAttributes } } | undefined;
  return attributes?.request?.http ?? {};
}

function riskOf(record: CheckRecord): { level?: unknown; score?: unknown } {
  const meshward = meshwardOf(record) as { risk?: { level?: unknown; score?: unknown } } | undefined;
  return meshward?.risk ?? {};
}

export function recentDecision(record: CheckRecord, atMs: number): RecentDecision {
  const http = requestOf(record);
  const path = (http.path ?? "").split("?")[0] as string;
  const risk = riskOf(record);
  const out: RecentDecision = {
    atMs,
    allowed: record.allowed,
    status: record.allowed ? 200 : (record.httpStatus ?? 403),
    method: http.method ?? "",
    path: path.length > MAX_PATH ? `${path.slice(0, MAX_PATH - 1)}…` : path,
    reason: record.errorCode ?? "policy",
  };
  if (typeof risk.level === "string") out.riskLevel = risk.level;
  if (typeof risk.score === "number") out.riskScore = risk.score;
  return out;
}

export class DecisionFeed {
  private readonly ring: (RecentDecision | undefined)[];
  private next = 0;

  constructor(
    readonly capacity: number,
    private readonly nowMs: () => number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error("DecisionFeed: capacity must be >= 1");
    this.ring = new Array(capacity);
  }

  observe = (record: CheckRecord): void => {
    this.ring[this.next] = recentDecision(record, this.nowMs());
    this.next = (this.next + 1) % this.capacity;
  };

  /** Up to `limit` decisions, newest first. */
  recent(limit = this.capacity): RecentDecision[] {
    const out: RecentDecision[] = [];
    for (let i = 1; i <= this.capacity && out.length < limit; i++) {
      const d = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (d === undefined) break;
      out.push(d);
    }
    return out;
  }
}
