// Decision logs of hostile, deeply nested values: a JSON body 10 000 levels deep (logged under a
// `bodyPaths` opt-in), claims and a policy result as deep. Each check still gets exactly one line, a
// line nests at most 64 levels below the input (redact.ts replaces deeper subtrees), and nothing
// throws. Should building the line fail anyway (here: a redactor that overflows the stack), a
// minimal line with the decision id, the outcome and the reason is written in its place.
import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { CheckRecord } from "../../authz-server/src/check/check-record.ts";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { decisionLogger } from "../../authz-server/src/ops/decision-log.ts";
import { createRedactor } from "../../authz-server/src/ops/redact.ts";
import { toPolicyInput } from "../../authz-server/src/translate/input.ts";

const DEPTH = 10_000;

/** `{"a":{"a":…{"a":leaf}}}`, `depth` objects deep, built without recursion. */
function deepObject(depth: number, leaf: unknown): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
}

/** Nesting depth of a parsed JSON value, without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    deepest = Math.max(deepest, d);
    if (v !== null && typeof v === "object") for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), lines };
}

function deepRecord(): CheckRecord {
  const body = `${"[".repeat(DEPTH)}"deep-leaf"${"]".repeat(DEPTH)}`;
  const input = toPolicyInput(
    create(CheckRequestSchema, {
      attributes: {
        request: { http: { method: "POST", path: "/api/deep", headers: { "content-type": "application/json" }, body } },
      },
    }),
    { maxBodyDepth: DEPTH },
  );
  input.meshward = { identity: { subject: "s", claims: deepObject(DEPTH, "claim-leaf") } };
  return {
    decisionId: "deep-1",
    allowed: false,
    decidedAllow: false,
    dryRun: false,
    entrypoint: "envoy/authz/allow",
    input,
    result: { allowed: false, echo: deepObject(DEPTH, "result-leaf") },
    durationMs: 1,
  };
}

describe("decision log of deeply nested values", () => {
  it("writes one line per check, nested at most 64 levels below the input, without throwing", () => {
    const { logger, lines } = capture();
    const log = decisionLogger(logger, { sampleRate: 1, redact: createRedactor({ bodyPaths: ["/api/**"] }) });
    const record = deepRecord();
    expect(() => log(record)).not.toThrow();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({ event: "decision", decision_id: "deep-1", allowed: false });
    // The body, the claims and the result were logged (opted in), cut at the depth bound.
    for (const part of [line.input.parsed_body, line.input.meshward.identity.claims, line.result.echo])
      expect(JSON.stringify(part)).toContain("[REDACTED]");
    expect(depthOf(line.input)).toBeLessThanOrEqual(64);
    expect(depthOf(line.result)).toBeLessThanOrEqual(64);
  });

  it("writes a minimal line (id, outcome, reason) when the line cannot be built", () => {
    const { logger, lines } = capture();
    const log = decisionLogger(logger, {
      sampleRate: 1,
      redact: () => {
        throw new RangeError("Maximum call stack size exceeded");
      },
    });
    const record = { ...deepRecord(), errorCode: "MW_POLICY_EVAL" as const, errorMessage: "policy evaluation failed" };
    expect(() => log(record)).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      event: "decision",
      decision_id: "deep-1",
      allowed: false,
      decided_allow: false,
      reason: "MW_POLICY_EVAL",
      log_error: "Maximum call stack size exceeded",
    });
  });
});
