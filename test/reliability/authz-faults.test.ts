// Faults around the authz server, on the real composition root: broken bundles (the last good one
// keeps serving and the failure is reported), a policy that aborts mid-evaluation, the JWKS server
// down / slow / returning garbage (cached keys keep working, the fetch metric moves), a check whose
// JWKS lookup outlives the deadline (answered in time), policy-chosen header names and values with
// CR/LF or invalid characters (refused, never forwarded), and no token ever in the logs.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import {
  type AuthzHarness,
  ECHO_ENTRYPOINT,
  makeSigningKeys,
  reliabilityBundle,
  type SigningKeys,
  startAuthzHarness,
  TRAP_ENTRYPOINT,
} from "./authz/harness.ts";
import { validToken } from "./authz/tokens.ts";
import { Random, VALUE_CHARS } from "./random.ts";

const work = mkdtempSync(join(tmpdir(), "mw-reliab-faults-"));
let keys: SigningKeys;

beforeAll(async () => {
  keys = await makeSigningKeys();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function request(token: string | undefined, extra: Record<string, string> = {}, entrypoint?: string): CheckRequest {
  return create(CheckRequestSchema, {
    attributes: {
      contextExtensions: entrypoint ? { meshward_entrypoint: entrypoint } : {},
      request: {
        http: {
          method: "GET",
          path: "/api/orders",
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra },
        },
      },
    },
  });
}

/** A copy of the good bundle's files, changed by `edit`, packed again with the tar CLI. */
function repacked(name: string, edit: (dir: string) => void): Uint8Array {
  const dir = join(work, name);
  execFileSync("mkdir", ["-p", dir]);
  execFileSync("tar", ["xzf", reliabilityBundle(), "-C", dir]);
  edit(dir);
  const out = join(work, `${name}.tar.gz`);
  execFileSync("tar", ["czf", out, "-C", dir, "."]);
  return readFileSync(out);
}

describe("bundle faults: the last good bundle keeps serving, the failure is reported", () => {
  let harness: AuthzHarness;
  const file = join(work, "served.tar.gz");

  beforeAll(async () => {
    copyFileSync(reliabilityBundle(), file);
    harness = await startAuthzHarness({ keys, bundleFile: file });
  });
  afterAll(() => harness?.close());

  const random = new Random(0xb0d1e);
  const faults: [string, () => Uint8Array][] = [
    ["random bytes", () => random.bytes(4096)],
    ["truncated archive", () => readFileSync(reliabilityBundle()).subarray(0, 300)],
    ["empty file", () => new Uint8Array(0)],
    ["gzip of no tar", () => new Uint8Array(execFileSync("gzip", ["-c"], { input: "not a tar archive" }))],
    ["missing policy.wasm", () => repacked("no-wasm", (d) => rmSync(join(d, "policy.wasm")))],
    ["policy.wasm not Wasm", () => repacked("bad-wasm", (d) => writeFileSync(join(d, "policy.wasm"), "garbage"))],
    ["data.json not JSON", () => repacked("bad-data", (d) => writeFileSync(join(d, "data.json"), "{nope"))],
    [
      "Wasm without the OPA exports",
      () =>
        repacked("foreign-wasm", (d) =>
          writeFileSync(join(d, "policy.wasm"), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
        ),
    ],
  ];

  for (const [name, make] of faults) {
    it(`refuses ${name}`, async () => {
      const token = await validToken(keys, Math.floor(Date.now() / 1000));
      const before = harness.server.policy.bundleStatus;
      writeFileSync(file, make());
      const outcome = await harness.server.bundles.load();
      expect(outcome.result).toBe("error");
      expect(outcome.result === "error" && outcome.code).toMatch(/^MW_BUNDLE_/);
      const after = harness.server.policy.bundleStatus;
      expect(after.digest).toBe(before.digest);
      expect(after.lastError).toBeTruthy();
      const { record } = await harness.server.checks.check(request(token));
      expect(record.allowed).toBe(true);
      const metrics = await harness.server.metrics.text();
      expect(metrics).toMatch(/meshward_authz_bundle_loads_total\{result="error",reason="MW_BUNDLE_[A-Z_]+"\} [1-9]/);
      expect(harness.logs.some((l) => l.includes('"event":"bundle"') && l.includes("bundle refused"))).toBe(true);
    });
  }

  it("recovers when a good bundle comes back", async () => {
    copyFileSync(reliabilityBundle(), file);
    expect((await harness.server.bundles.load()).result).not.toBe("error");
  });

  it("keeps evaluating after 1100 aborted evaluations (regression: the 1024th left the Wasm instance broken)", async () => {
    // opa-wasm does not unwind the module's state on an abort; after 1023 aborts every evaluation
    // failed with "memory access out of bounds". The evaluator now replaces a failed instance.
    const token = await validToken(keys, Math.floor(Date.now() / 1000));
    for (let i = 0; i < 1100; i++) {
      const { record } = await harness.server.checks.check(request(token, {}, TRAP_ENTRYPOINT));
      expect(record.errorCode).toBe("MW_POLICY_EVAL");
    }
    const { record } = await harness.server.checks.check(request(token));
    expect(record.errorMessage).toBeUndefined();
    expect(record.allowed).toBe(true);
  });

  it("denies with MW_POLICY_EVAL when the policy aborts mid-evaluation, and the next check still works", async () => {
    const token = await validToken(keys, Math.floor(Date.now() / 1000));
    for (let i = 0; i < 20; i++) {
      const trapped = await harness.server.checks.check(request(token, {}, TRAP_ENTRYPOINT));
      expect(trapped.record).toMatchObject({ allowed: false, errorCode: "MW_POLICY_EVAL" });
      expect((await harness.server.checks.check(request(token))).record.allowed).toBe(true);
    }
  });
});

describe("JWKS faults: cached keys keep working, the fetch metric moves", () => {
  const now = { ms: Date.parse("2026-11-28T03:00:00Z") };
  let harness: AuthzHarness;

  beforeAll(async () => {
    harness = await startAuthzHarness({
      keys,
      nowMs: () => now.ms,
      jwksCacheMs: 1000,
      jwksMinRefetchMs: 0,
      jwksTimeoutMs: 300,
      checkTimeoutMs: 1000,
    });
  });
  afterAll(() => harness?.close());

  const errors = async () =>
    Number(
      /meshward_authz_jwks_fetches_total\{result="error",trigger="refresh"\} (\d+)/.exec(
        await harness.server.metrics.text(),
      )?.[1] ?? 0,
    );

  it("fetches once while up", async () => {
    const token = await validToken(keys, now.ms / 1000);
    expect((await harness.server.checks.check(request(token))).record.allowed).toBe(true);
    expect(harness.jwks.fetches).toBe(1);
  });

  for (const mode of ["down", "garbage", "slow"] as const) {
    it(`keeps the cached keys while the JWKS server is ${mode}`, async () => {
      harness.jwks.mode = mode;
      const before = await errors();
      now.ms += 5000; // past jwksCacheMs: every lookup tries a refresh
      const token = await validToken(keys, now.ms / 1000, true);
      const started = performance.now();
      const { record } = await harness.server.checks.check(request(token));
      expect(record.allowed).toBe(true);
      expect(performance.now() - started).toBeLessThan(1000); // the check timeout
      // The refresh runs in the background of the check: its failure is counted when it ends.
      await vi.waitFor(async () => expect(await errors()).toBeGreaterThan(before), { timeout: 5000 });
      harness.jwks.mode = "up";
    });
  }
});

describe("deadlines", () => {
  it("answers a check whose first JWKS fetch hangs within its deadline, with MW_DEADLINE", async () => {
    const harness = await startAuthzHarness({ keys, checkTimeoutMs: 250, jwksTimeoutMs: 5000 });
    try {
      harness.jwks.mode = "slow";
      harness.jwks.slowMs = 3000;
      const token = await validToken(keys, Math.floor(Date.now() / 1000));
      let started = performance.now();
      const { record } = await harness.server.checks.check(request(token));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(record).toMatchObject({ allowed: false, errorCode: "MW_DEADLINE" });
      started = performance.now();
      const response = await harness.grpcCheck(request(token), 2000);
      expect(performance.now() - started).toBeLessThan(1500);
      expect(response.httpResponse.case).toBe("deniedResponse");
    } finally {
      await harness.close();
    }
  });
});

describe("policy-supplied headers", () => {
  let harness: AuthzHarness;
  beforeAll(async () => {
    harness = await startAuthzHarness({ keys });
  });
  afterAll(() => harness?.close());

  it("refuses 2000 random names and values with CR, LF, NUL or non-token characters; forwards the valid ones", async () => {
    const rand = new Random(0xc71f);
    let refused = 0;
    let forwarded = 0;
    for (let i = 0; i < 2000; i++) {
      const name = rand.chance(0.5)
        ? `x-${rand.text("abc-", 4)}`
        : rand.text(`${VALUE_CHARS}\r\n\0\u00e9`, rand.int(1, 12));
      const value = rand.text(rand.chance(0.5) ? "abc 123" : `${VALUE_CHARS}\r\n\0\u0007`, rand.int(0, 16));
      const validName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
      const validValue = ![...value].some((c) => (c < " " && c !== "\t") || c === "\x7f");
      const { record, response } = await harness.server.checks.check(
        request(undefined, { "x-echo-name": name, "x-echo-value": value }, ECHO_ENTRYPOINT),
      );
      if (validName && validValue && !name.startsWith(":")) {
        expect(record.allowed, JSON.stringify([name, value])).toBe(true);
        forwarded++;
      } else if (record.allowed) {
        // Allowed only if what goes upstream is clean (e.g. the name was folded to a valid one).
        const ok = response.httpResponse.case === "okResponse" ? response.httpResponse.value : undefined;
        for (const h of ok?.headers ?? []) {
          expect(h.header?.key).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
          expect(h.header?.value).not.toMatch(/[\r\n\0]/);
        }
      } else {
        expect(record.errorCode).toBe("MW_POLICY_RESULT");
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(300);
    expect(forwarded).toBeGreaterThan(300);
  });
});
