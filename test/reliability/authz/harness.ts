// The authz server as the reliability suites drive it: the real composition root
// (`startAuthzServer`) with JWT identity against a JWKS served on loopback whose behaviour a test
// switches (up, down, slow, garbage), the reliability policy built by the real OPA CLI, decision
// logs captured as text (so tests can grep them for secrets), and a gRPC client for the transport.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import pino from "pino";
import { type RunningServer, startAuthzServer } from "../../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../../authz-server/src/config/schema.ts";
import {
  Authorization,
  type CheckRequest,
  type CheckResponse,
  CheckResponseSchema,
} from "../../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { toGrpcServiceDefinition } from "../../../authz-server/src/transport/grpc-adapter.ts";
import { opaBinary, repoRoot } from "../../../scripts/lib/tools.ts";

export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
export type JwksMode = "up" | "down" | "slow" | "garbage";

export const ISSUER = "https://idp.reliab.test";
export const AUDIENCE = "meshward";
export const ENTRYPOINT = "reliab/decision";
/** Aborts mid-evaluation (conflicting complete rules). */
export const TRAP_ENTRYPOINT = "reliab/conflict";
/** Echoes x-echo-name / x-echo-value into the allow's headers. */
export const ECHO_ENTRYPOINT = "reliab/echo";

export interface SigningKeys {
  rsa: KeyPair;
  ec: KeyPair;
  /** Not published: tokens signed with it must never verify. */
  attacker: KeyPair;
  /** The published JWKS (public halves of rsa and ec). */
  jwks: JWK[];
}

export interface AuthzHarness {
  server: RunningServer;
  keys: SigningKeys;
  /** Every log line the server wrote (pino JSON), in order. */
  logs: string[];
  jwks: { mode: JwksMode; fetches: number; slowMs: number };
  /** Check through the gRPC transport; `deadlineMs` becomes the call's gRPC deadline. */
  grpcCheck(request: CheckRequest, deadlineMs?: number): Promise<CheckResponse>;
  close(): Promise<void>;
}

let bundlePath: string | undefined;

/** Builds the reliability policy with the real OPA CLI, once per process (it takes a few seconds);
 *  the directory goes when the process exits (the long fuzz run is not under vitest). */
export function reliabilityBundle(): string {
  if (bundlePath) return bundlePath;
  const dir = mkdtempSync(join(tmpdir(), "mw-reliab-bundle-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "bundle.tar.gz");
  const src = join(repoRoot, "test/reliability/fixtures/policy");
  execFileSync(
    opaBinary(),
    [
      "build",
      "-t",
      "wasm",
      ...[ENTRYPOINT, TRAP_ENTRYPOINT, ECHO_ENTRYPOINT].flatMap((e) => ["-e", e]),
      "-o",
      out,
      src,
    ],
    { stdio: "pipe" },
  );
  bundlePath = out;
  return out;
}

export async function makeSigningKeys(): Promise<SigningKeys> {
  const [rsa, ec, attacker] = await Promise.all([
    generateKeyPair("RS256", { extractable: true }),
    generateKeyPair("ES256", { extractable: true }),
    generateKeyPair("RS256", { extractable: true }),
  ]);
  const jwks = [
    { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
    { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
  ];
  return { rsa, ec, attacker, jwks };
}

async function startJwksServer(state: AuthzHarness["jwks"], keys: SigningKeys): Promise<Server> {
  const server = createServer((_req, res) => {
    state.fetches++;
    const body = JSON.stringify({ keys: keys.jwks });
    if (state.mode === "down") return void res.writeHead(503).end("down");
    if (state.mode === "garbage")
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"keys": [{"kty": "RSA", "n": 1}');
    if (state.mode === "slow")
      return void setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(body), state.slowMs);
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export interface HarnessOptions {
  /** Called with every log line; with `keepLogs: false` lines are not stored (long runs). */
  onLog?: (line: string) => void;
  keepLogs?: boolean;
  /** Bundle file to serve (default: the reliability bundle); tests overwrite it to inject faults. */
  bundleFile?: string;
  keys?: SigningKeys;
  nowMs?: () => number;
  checkTimeoutMs?: number;
  jwksMinRefetchMs?: number;
  jwksCacheMs?: number;
  jwksTimeoutMs?: number;
}

export async function startAuthzHarness(options: HarnessOptions = {}): Promise<AuthzHarness> {
  const keys = options.keys ?? (await makeSigningKeys());
  const jwksState = { mode: "up" as JwksMode, fetches: 0, slowMs: 2000 };
  const jwksServer = await startJwksServer(jwksState, keys);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) {
        if (!line) continue;
        options.onLog?.(line);
        if (options.keepLogs !== false) logs.push(line);
      }
      done();
    },
  });
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.enabled = false;
  config.bundle.source = options.bundleFile ?? reliabilityBundle();
  config.policy.defaultEntrypoint = ENTRYPOINT;
  // Generous defaults: a loaded 2-core machine (CI, parallel test files) can take longer than
  // production budgets to fetch the JWKS or finish a check, and a deadline hit is not what the fuzz
  // and fault cases test. The tests about deadlines and slow JWKS set their own, short ones.
  config.check.timeoutMs = options.checkTimeoutMs ?? 5000;
  config.identity.jwt = {
    header: "authorization",
    cookie: "session",
    jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`,
    issuer: ISSUER,
    audience: [AUDIENCE],
    algorithms: ["RS256", "ES256"],
    clockSkewSec: 30,
    jwksCacheMs: options.jwksCacheMs ?? 300_000,
    jwksMinRefetchMs: options.jwksMinRefetchMs ?? 30_000,
    jwksTimeoutMs: options.jwksTimeoutMs ?? 5000,
    jwksMaxBytes: 256 * 1024,
  };
  const logger = pino({ level: "info", base: { service: "meshward-authz" } }, sink);
  const server = await startAuthzServer(config, { logger, ...(options.nowMs ? { nowMs: options.nowMs } : {}) });
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(Authorization), "Authorization");
  const client = new Client(
    `127.0.0.1:${server.grpcPort}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    check(r: CheckRequest, o: grpc.CallOptions, cb: (e: Error | null, r: CheckResponse) => void): void;
  };
  return {
    server,
    keys,
    logs,
    jwks: jwksState,
    grpcCheck: (request, deadlineMs = 5000) =>
      new Promise((resolve, reject) =>
        client.check(request, { deadline: Date.now() + deadlineMs }, (err, response) =>
          err ? reject(err) : resolve(response ?? create(CheckResponseSchema)),
        ),
      ),
    close: async () => {
      client.close();
      await server.close();
      await new Promise<void>((resolve) => {
        jwksServer.close(() => resolve());
        jwksServer.closeAllConnections(); // a "slow" JWKS reply still pending must not hold the close
      });
    },
  };
}
