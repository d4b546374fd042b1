// Regression: decision logs carried, in full, JWTs in the path and in query parameters with neutral
// names (`t`, `auth`), headers `x-forwarded-authorization`, `x-access`, `x-amzn-oidc-data`, body
// fields (`refresh`) and card/PIN/SSN/OTP values in `parsed_body`. Here a distinct secret is planted
// in each place, checks go through the real composition root with every decision logged, and no
// secret may appear in any log line.
import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

const jwt = (tag: string) =>
  `${Buffer.from(`{"alg":"RS256","kid":"${tag}"}`).toString("base64url")}.${Buffer.from(`{"sub":"${tag}-subject"}`).toString("base64url")}.${Buffer.from(`sig-${tag}`).toString("base64url")}`;

const SECRETS = {
  pathJwt: jwt("in-path"),
  queryT: jwt("query-t"),
  queryAuth: "opaque-query-auth-1f2e3d",
  forwardedAuthorization: "opaque-x-forwarded-authorization-9a8b",
  xAccess: jwt("x-access"),
  oidcData: jwt("x-amzn-oidc-data"),
  cookie: "opaque-session-cookie-77aa",
  apiKey: "opaque-api-key-5c5c",
  refresh: "opaque-refresh-token-3e3e",
  card: "4111111111111111",
  pin: "8642",
  ssn: "123-45-6789",
  otp: "735291",
  cvv: "9173",
  badJson: "opaque-in-a-broken-body-6d6d",
  secondPathJwt: jwt("second-path"),
};
const body = JSON.stringify({
  refresh: SECRETS.refresh,
  card: SECRETS.card,
  pin: SECRETS.pin,
  ssn: SECRETS.ssn,
  otp: SECRETS.otp,
  cardCvv: SECRETS.cvv,
  note: "visible-note",
});

const logs: string[] = [];
let server: RunningServer;

beforeAll(async () => {
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.enabled = false;
  config.logging.decisions = { enabled: true, sampleRate: 1, redactPaths: [], bodyPaths: ["/api/**"] };
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  server = await startAuthzServer(config, { logger: pino({ level: "info" }, sink) });
});
afterAll(() => server?.close());

function request(method: string, path: string, requestBody = "", contentType = "application/json"): CheckRequest {
  return create(CheckRequestSchema, {
    attributes: {
      request: {
        http: {
          method,
          path,
          headers: {
            ":path": path,
            "content-type": contentType,
            "x-forwarded-authorization": SECRETS.forwardedAuthorization,
            "x-access": SECRETS.xAccess,
            "x-amzn-oidc-data": SECRETS.oidcData,
            cookie: `session=${SECRETS.cookie}`,
            "x-api-key": SECRETS.apiKey,
          },
          body: requestBody,
        },
      },
    },
  });
}

describe("decision logs", () => {
  it("contain none of the planted secrets", async () => {
    const query = `?t=${SECRETS.queryT}&auth=${SECRETS.queryAuth}&page=2`;
    const outcomes = await Promise.all([
      server.checks.check(request("GET", `/public/${SECRETS.pathJwt}/x${query}`)),
      server.checks.check(request("POST", `/public/form${query}`, body)),
      server.checks.check(request("POST", `/api/orders${query}`, body)),
      server.checks.check(request("POST", "/public/broken", `{"password": "${SECRETS.badJson}`)),
      server.checks.check(request("GET", `/public/${SECRETS.secondPathJwt}`, "", "text/plain")),
    ]);
    expect(outcomes[0]?.record.allowed).toBe(true);
    expect(outcomes[3]?.record.errorCode).toBe("MW_REQUEST_PARSE");
    await new Promise((resolve) => setImmediate(resolve));
    const decisions = logs.filter((line) => line.includes('"event":"decision"'));
    expect(decisions).toHaveLength(5);
    const text = decisions.join("\n");
    const leaked = Object.entries(SECRETS).filter(([, secret]) => text.includes(secret));
    expect(leaked.map(([where]) => where)).toEqual([]);
    // What is not secret is still there: the logs are useful.
    expect(text).toContain("visible-note"); // body logged under /api/**, fields redacted by name
    expect(text).toContain('"page":["2"]');
    expect(text).toContain("/public/form");
  });
});
