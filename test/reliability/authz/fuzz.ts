// The authz fuzz run: case i draws a hostile token (kinds in rotation, so every kind is covered
// evenly), puts it in the Authorization header, the session cookie or both, and wraps it in a random
// CheckRequest. Every such case must be denied (gRPC status PERMISSION_DENIED, a DeniedHttpResponse)
// with a coded reason: an MW_* code in `x-meshward-reason`, or the policy's `x-deny-reason` carrying
// the identity error — and for a plain request with a token in the JWS alphabet, the identity
// error the token kind implies. A deny that only the path explains (the token verified) is a failure;
// `authenticated_no_rule:mtls` (a random SPIFFE source principal, no usable token) is not.
// Every `controlEvery`-th case is a valid token on a plain request and must be allowed (the run can
// see an allow, so "all denied" means something). Seeded: case i reproduces from (seed, i).
import { create } from "@bufbuild/protobuf";
import type {
  CheckRequest,
  CheckResponse,
} from "../../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { CheckRequestSchema } from "../../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { Random } from "../random.ts";
import type { AuthzHarness } from "./harness.ts";
import { randomCheckRequest } from "./requests.ts";
import { EXPECTED_REASONS, hostileToken, TOKEN_KINDS, type TokenKind, validToken } from "./tokens.ts";

export type Transport = "in-process" | "grpc";

export interface AuthzFuzzReport {
  cases: number;
  controls: number;
  byKind: Record<string, number>;
  byReason: Record<string, number>;
  /** Human-readable descriptions of broken invariants (empty on success); capped at 50. */
  failures: string[];
  /** Tokens used (secrets the logs must never contain); a sample, capped. */
  tokens: string[];
}

/** A token of only these characters reaches the verifier intact; one with CR/LF, NUL, `%`, spaces
 *  or lone surrogates may be cut by the bearer/cookie parsing or refused earlier with an MW_* code,
 *  so for those only "denied with some coded reason" is checked. */
const JWS_ALPHABET = /^[A-Za-z0-9_.=-]*$/;

const PLAIN_HEADERS = { "content-type": "application/json", "user-agent": "reliab" };

function reasonOf(response: CheckResponse): { allowed: boolean; reason: string | undefined } {
  if (response.httpResponse.case === "okResponse") return { allowed: true, reason: undefined };
  const denied = response.httpResponse.case === "deniedResponse" ? response.httpResponse.value : undefined;
  const header = (name: string) => denied?.headers.find((h) => h.header?.key === name)?.header?.value;
  return { allowed: false, reason: header("x-meshward-reason") ?? header("x-deny-reason") };
}

function placement(rand: Random, token: string): { header?: string; cookie?: string } {
  const r = rand.float();
  if (r < 0.6) return { header: `${rand.pick(["Bearer ", "bearer ", "BEARER   "])}${token}` };
  if (r < 0.9) return { cookie: `theme=dark; session=${token}` };
  return { header: `Bearer ${token}`, cookie: `session=${token}` };
}

export async function runAuthzFuzz(
  harness: AuthzHarness,
  options: {
    cases: number;
    seed: number;
    transport: Transport;
    controlEvery?: number;
    nowMs?: () => number;
    /** Index of the first case, so a long run can go in chunks without repeating cases. */
    firstCase?: number;
  },
): Promise<AuthzFuzzReport> {
  const root = new Random(options.seed);
  const controlEvery = options.controlEvery ?? 50;
  const now = options.nowMs ?? Date.now;
  const report: AuthzFuzzReport = { cases: 0, controls: 0, byKind: {}, byReason: {}, failures: [], tokens: [] };
  const fail = (message: string) => {
    if (report.failures.length < 50) report.failures.push(message);
  };
  const check = async (request: CheckRequest): Promise<CheckResponse> =>
    options.transport === "grpc" ? harness.grpcCheck(request) : (await harness.server.checks.check(request)).response;

  const first = options.firstCase ?? 0;
  for (let i = first; i < first + options.cases; i++) {
    const rand = root.fork(i);
    const nowSec = Math.floor(now() / 1000);
    if (i % controlEvery === controlEvery - 1) {
      const token = await validToken(harness.keys, nowSec, rand.chance(0.5));
      const request = create(CheckRequestSchema, {
        attributes: {
          request: {
            http: {
              method: "GET",
              path: "/api/orders",
              headers: { ...PLAIN_HEADERS, authorization: `Bearer ${token}` },
            },
          },
        },
      });
      const outcome = reasonOf(await check(request));
      report.controls++;
      if (!outcome.allowed) fail(`case ${i}: valid control token denied (${outcome.reason})`);
      continue;
    }
    const kind = TOKEN_KINDS[i % TOKEN_KINDS.length] as TokenKind;
    const token = await hostileToken(kind, rand, harness.keys, nowSec);
    if (report.tokens.length < 200 && token.length < 4096 && token.length > 20) report.tokens.push(token);
    // One case in four keeps the request plain, so the identity error alone decides the reason.
    const plain = rand.chance(0.25);
    const credential = placement(rand, token);
    const request = plain
      ? create(CheckRequestSchema, {
          attributes: {
            request: {
              http: {
                method: "GET",
                path: "/api/orders",
                headers: {
                  ...PLAIN_HEADERS,
                  ...(credential.header ? { authorization: credential.header } : {}),
                  ...(credential.cookie ? { cookie: credential.cookie } : {}),
                },
              },
            },
          },
        })
      : randomCheckRequest(rand, credential);
    let outcome: { allowed: boolean; reason: string | undefined };
    try {
      outcome = reasonOf(await check(request));
    } catch (err) {
      fail(`case ${i} (${kind}): check failed: ${(err as Error).message}`);
      continue;
    }
    report.cases++;
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
    const reason = outcome.reason ?? "<none>";
    report.byReason[reason] = (report.byReason[reason] ?? 0) + 1;
    if (outcome.allowed) fail(`case ${i} (${kind}, seed ${options.seed}): ALLOWED`);
    else if (!outcome.reason) fail(`case ${i} (${kind}): denied without a coded reason`);
    else if (plain && JWS_ALPHABET.test(token) && !EXPECTED_REASONS[kind].includes(reason))
      fail(`case ${i} (${kind}): reason ${reason}, expected one of ${EXPECTED_REASONS[kind].join(", ")}`);
    else if (reason === "authenticated_no_rule:jwt" || reason === "no_rule")
      fail(`case ${i} (${kind}): the hostile token was accepted (${reason}); denied only by the path`);
  }
  return report;
}
