// Redaction (one module), decision-log sampling and content, metrics labels.
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { CheckRecord } from "../../authz-server/src/check/check-record.ts";
import { decisionLogger } from "../../authz-server/src/ops/decision-log.ts";
import { AuthzMetrics } from "../../authz-server/src/ops/metrics.ts";
import { createRedactor, REDACTED } from "../../authz-server/src/ops/redact.ts";
import { toPolicyInput } from "../../authz-server/src/translate/input.ts";
import { fixture } from "./helpers/fixtures.ts";

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
    const redact = createRedactor({ headers: ["x-internal"], paths: ["parsed_body.user"], bodyPaths: ["/people/*"] });
    const out = redact(input) as typeof input & { attributes: typeof input.attributes };
    expect((createRedactor()(input) as typeof input).parsed_body).toBe(REDACTED); // bodies are opt-in
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

describe("redaction shares what it does not change", () => {
  const withSecrets = () => {
    const input = toPolicyInput(fixture("get-people-alice"));
    const http = (input.attributes as { request: { http: { headers: Record<string, string> } } }).request.http;
    http.headers["x-upstream-session-token"] = "nested-header-secret";
    http.headers["x-pii"] = "555-0100";
    input.parsed_body = { items: [{ sku: "a" }, { sku: "b", credentials: { pin: "1234" } }], note: "keep" };
    input.parsed_query = { page: ["2"] };
    input.meshward = { identity: { subject: "alice", claims: { sub: "alice", groups: ["dev"] } } };
    return input;
  };

  it("never modifies the input, even where it redacts", () => {
    const input = withSecrets();
    const before = structuredClone(input);
    const redact = createRedactor({
      headers: ["x-internal"],
      paths: ["attributes.request.http.headers.x-pii", "parsed_body.note", "parsed_query.page.0"],
    });
    redact(input);
    expect(input).toEqual(before);
  });

  it("masks a credential in a header, deep in the body and at configured paths, copying only those paths", () => {
    const input = withSecrets();
    const redact = createRedactor({
      paths: ["attributes.request.http.headers.x-pii", "parsed_query.page.0"],
      bodyPaths: ["/**"],
    });
    const out = redact(input) as typeof input;
    const text = JSON.stringify(out);
    for (const secret of ["nested-header-secret", "eyJhbGciOiJub25lIn0", "555-0100", '"1234"', '"2"'])
      expect(text).not.toContain(secret);
    type Http = { request: { http: { headers: Record<string, string> } }; source: unknown };
    const [inAttrs, outAttrs] = [input.attributes as Http, out.attributes as Http];
    expect(outAttrs.request.http.headers["x-upstream-session-token"]).toBe(REDACTED);
    expect(outAttrs.request.http.headers["x-pii"]).toBe(REDACTED);
    expect(out.parsed_query).toEqual({ page: [REDACTED] });
    // Copied along the changed paths, shared everywhere else.
    expect(outAttrs.request.http.headers).not.toBe(inAttrs.request.http.headers);
    expect(outAttrs.source).toBe(inAttrs.source);
    expect(out.parsed_path).toBe(input.parsed_path);
    const [inItems, outItems] = [
      (input.parsed_body as { items: unknown[] }).items,
      (out.parsed_body as { items: unknown[] }).items,
    ];
    expect(outItems).not.toBe(inItems);
    expect(outItems[0]).toBe(inItems[0]);
    expect(outItems[1]).toEqual({ sku: "b", credentials: REDACTED });
    expect(out.meshward).toBe(input.meshward); // claims without credential names: untouched
  });

  it("returns the input itself when there is nothing to redact", () => {
    const input = toPolicyInput(fixture("get-people-alice"));
    const http = (input.attributes as { request: { http: { headers: Record<string, string> } } }).request.http;
    delete http.headers.authorization;
    const redact = createRedactor({ paths: ["parsed_body.ssn", "no.such.path"] });
    expect(redact(input)).toBe(input);
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

describe("decision log: a sampled-out decision", () => {
  it("builds nothing: the redactor is not called", () => {
    const { logger } = capture();
    let redactions = 0;
    const log = decisionLogger(logger, {
      sampleRate: 0.25,
      redact: (input) => {
        redactions++;
        return input;
      },
      random: () => 0.5,
    });
    for (let i = 0; i < 10; i++) log(record());
    expect(redactions).toBe(0);
    log(record({ errorCode: "MW_POLICY_EVAL", allowed: false, decidedAllow: false }));
    expect(redactions).toBe(1);
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
