// Redaction (one module), decision-log sampling and content, metrics labels.
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { CheckRecord } from "../../../authz-server/src/check-service.ts";
import { decisionLogger } from "../../../authz-server/src/ops/decision-log.ts";
import { AuthzMetrics } from "../../../authz-server/src/ops/metrics.ts";
import { createRedactor, REDACTED } from "../../../authz-server/src/ops/redact.ts";
import { toPolicyInput } from "../../../authz-server/src/translate/input.ts";
import { fixture } from "../helpers/fixtures.ts";

describe("redaction", () => {
  it("removes credentials, bodies, credential-named fields and configured paths; leaves the rest", () => {
    const input = toPolicyInput(fixture("get-people-alice"));
    const http = (input.attributes as { request: { http: { headers: Record<string, string>; path: string } } }).request
      .http;
    http.headers.cookie = "session=abc";
    http.headers["x-session-token"] = "t";
    http.path = "/people/alice?access_token=secret&x=1";
    input.parsed_body = { password: "p", user: "alice", nested: { apiKey: "k" } };
    input.meshward = { identity: { subject: "alice", claims: { sub: "alice", refresh_token: "r" } } };
    const redact = createRedactor({ headers: ["x-internal"], paths: ["parsed_body.user"] });
    const out = redact(input) as typeof input & { attributes: typeof input.attributes };
    const text = JSON.stringify(out);
    for (const secret of [
      "eyJhbGciOiJub25lIn0",
      "session=abc",
      "access_token=secret",
      '"p"',
      '"k"',
      '"r"',
      '"secret"',
    ]) {
      expect(text).not.toContain(secret);
    }
    const headers = (
      out.attributes as typeof input.attributes as { request: { http: { headers: Record<string, string> } } }
    ).request.http.headers;
    expect(headers.authorization).toBe(REDACTED);
    expect(headers["x-internal"]).toBe(REDACTED);
    expect(headers[":authority"]).toBe("people.local");
    expect(out.parsed_body).toEqual({ password: REDACTED, user: REDACTED, nested: { apiKey: REDACTED } });
    expect(out.parsed_path).toEqual(["people", "alice"]);
    // The input the policy saw is untouched.
    expect(http.headers.cookie).toBe("session=abc");
  });
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, stream) };
}

const record = (over: Partial<CheckRecord> = {}): CheckRecord => ({
  decisionId: "d",
  allowed: true,
  decidedAllow: true,
  dryRun: false,
  entrypoint: "envoy/authz/allow",
  durationMs: 0.0123,
  input: { attributes: { request: { http: { headers: { authorization: "Bearer x" } } } } },
  result: true,
  ...over,
});

describe("decision log", () => {
  it("samples ordinary decisions but always logs errors and dry-run would-be denies", async () => {
    const { lines, logger } = capture();
    const rolls = [0.9, 0.1];
    const log = decisionLogger(logger, {
      sampleRate: 0.5,
      redact: createRedactor(),
      random: () => rolls.shift() ?? 0.9,
    });
    log(record({ decisionId: "skipped" }));
    log(record({ decisionId: "sampled" }));
    log(record({ decisionId: "error", allowed: false, decidedAllow: false, errorCode: "MW_POLICY_EVAL" }));
    log(record({ decisionId: "dry", dryRun: true, decidedAllow: false }));
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.decision_id)).toEqual(["sampled", "error", "dry"]);
    expect(JSON.stringify(lines)).not.toContain("Bearer x");
    expect(lines[2]).toMatchObject({
      allowed: true,
      decided_allow: false,
      dry_run: true,
      timings: { total_ms: 0.012 },
    });
  });
});

describe("metrics", () => {
  it("counts checks by result and reason, and reports the bundle", async () => {
    const metrics = new AuthzMetrics();
    metrics.observeCheck(record());
    metrics.observeCheck(record({ allowed: false, errorCode: "MW_DEADLINE" }));
    metrics.bundleStatus({ active: true, revision: "r1", source: "s" }, "ok");
    metrics.bundleStatus({ active: true, revision: "r1", source: "s" }, "error", "MW_BUNDLE_SIGNATURE");
    const text = await metrics.text();
    expect(text).toContain('meshward_authz_checks_total{result="allow",reason="policy",dry_run="false"} 1');
    expect(text).toContain('meshward_authz_checks_total{result="deny",reason="MW_DEADLINE",dry_run="false"} 1');
    expect(text).toContain('meshward_authz_errors_total{code="MW_BUNDLE_SIGNATURE"} 1');
    expect(text).toContain('meshward_authz_bundle_info{revision="r1",source="s"} 1');
  });
});
