// Short seeded variant of the authz fuzz run (`npm run fuzz` runs >= 100 000 cases): hostile JWTs in
// random CheckRequests, in process and through the gRPC transport. Every case denied with a coded
// reason (the right identity error for plain requests), every control allowed, the server alive.
import { create } from "@bufbuild/protobuf";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { MAX_TOKEN_CHARS } from "../../authz-server/src/identity/jwt-verifier.ts";
import { runAuthzFuzz } from "./authz/fuzz.ts";
import { AUDIENCE, type AuthzHarness, ISSUER, startAuthzHarness } from "./authz/harness.ts";
import { TOKEN_KINDS } from "./authz/tokens.ts";

/** Token segments (header, payload, signature: base64url runs of 16+ characters) that appear as a
 *  whole run in any line. One pass over the lines, so it stays fast on megabytes of logs. */
function leakedSegments(lines: readonly string[], tokens: readonly string[]): { checked: number; found: string[] } {
  const runs = new Set<string>();
  for (const line of lines) for (const run of line.match(/[A-Za-z0-9_-]{16,}/g) ?? []) runs.add(run);
  const segments = tokens.flatMap((t) => t.split(".")).filter((s) => s.length >= 16 && /^[A-Za-z0-9_-]+$/.test(s));
  return { checked: segments.length, found: segments.filter((s) => runs.has(s)) };
}

let harness: AuthzHarness;
const usedTokens: string[] = [];

beforeAll(async () => {
  harness = await startAuthzHarness();
});
afterAll(() => harness?.close());

describe("authz fuzzing (seeded, short)", () => {
  it("denies 1000 hostile tokens in random requests in process, each with a coded reason", async () => {
    const report = await runAuthzFuzz(harness, { cases: 1000, seed: 0x7e57, transport: "in-process" });
    usedTokens.push(...report.tokens);
    expect(report.failures).toEqual([]);
    expect(report.controls).toBe(20);
    expect(Object.keys(report.byKind).sort()).toEqual([...TOKEN_KINDS].sort());
  }, 180_000);

  it("denies 150 through the gRPC transport and the server keeps serving", async () => {
    const report = await runAuthzFuzz(harness, { cases: 150, seed: 0x9a9c, transport: "grpc" });
    usedTokens.push(...report.tokens);
    expect(report.failures).toEqual([]);
    expect(report.cases + report.controls).toBe(150);
  }, 120_000);

  it("refuses a validly signed token above the size limit as oversized (regression)", async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      sub: "alice",
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowSec + 60,
      pad: "A".repeat(MAX_TOKEN_CHARS),
    })
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .sign(harness.keys.rsa.privateKey);
    const request = create(CheckRequestSchema, {
      attributes: {
        request: { http: { method: "GET", path: "/api/x", headers: { authorization: `Bearer ${token}` } } },
      },
    });
    const { record } = await harness.server.checks.check(request);
    expect(record.allowed).toBe(false);
    expect(record.result).toEqual({ allowed: false, headers: { "x-deny-reason": "oversized" } });
  });

  it("never writes a token (or its signature) to the logs", () => {
    expect(usedTokens.length).toBeGreaterThan(100);
    expect(harness.logs.length).toBeGreaterThan(1000);
    const leaks = leakedSegments(harness.logs, usedTokens);
    expect(leaks.checked).toBeGreaterThan(200);
    expect(leaks.found).toEqual([]);
    // The check can fail: a line that carries a token is caught.
    const planted = leakedSegments([`{"headers":{"authorization":"Bearer ${usedTokens[0]}"}}`], usedTokens);
    expect(planted.found.length).toBeGreaterThan(0);
  });
});
