// The zero-trust bundle as the authz server receives it: built by scripts/build-policy.ts (check,
// tests, coverage gate, SDK-builtins check, dev signing) into a temporary directory, read from its
// .tar.gz, evaluated with @open-policy-agent/opa-wasm, cross-checked against OPA's own Rego
// interpreter, and its signature checked with the real OPA CLI.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadedPolicy, loadPolicy } from "@open-policy-agent/opa-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bundle, parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { toDecision } from "../../authz-server/src/translate/decision.ts";
import { devSigningKey } from "../../scripts/lib/policy-build-options.ts";
import { opaBinary, repoRoot } from "../../scripts/lib/tools.ts";
import { zeroTrustCases } from "./zero-trust-cases.ts";

const DECISION = "meshward/zerotrust/decision";
const ALLOW = "meshward/zerotrust/allow";

function run(command: string, args: string[], cwd = repoRoot) {
  return spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

describe("zero-trust bundle compiled to Wasm", () => {
  let out = "";
  let buildLog = "";
  let bundle: Bundle;
  let policy: LoadedPolicy;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "meshward-zt-"));
    const build = run(process.execPath, [
      "--import",
      "tsx",
      "scripts/build-policy.ts",
      "--only",
      "zero-trust",
      "--out",
      out,
    ]);
    buildLog = build.stdout + build.stderr;
    expect(build.status, buildLog).toBe(0);
    bundle = parseBundle(await unpackBundleArchive(readFileSync(join(out, "zero-trust.tar.gz"))));
    policy = await loadPolicy(bundle.wasm);
    policy.setData(bundle.data);
  });

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("reports coverage above the bundle's 90% gate", () => {
    const m = /zero-trust coverage (\d+(?:\.\d+)?)% \(minimum 90%\)/.exec(buildLog);
    expect(m, buildLog).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(90);
  });

  it("ships both entrypoints, its data and a signature", () => {
    expect(bundle.manifest.wasm.map((w) => w.entrypoint).sort()).toEqual([ALLOW, DECISION]);
    expect(Object.keys(policy.entrypoints as Record<string, number>).sort()).toEqual([ALLOW, DECISION]);
    expect(bundle.data).toHaveProperty("meshward.config.realm", "meshward");
    expect(bundle.files.has("/.signatures.json")).toBe(true);
  });

  it.each(zeroTrustCases)("$name", (c) => {
    const [first] = policy.evaluate(c.input, DECISION) as Array<{ result: Record<string, unknown> }>;
    const decision = first?.result;
    expect(decision, "decision must be defined").toBeDefined();
    expect(decision?.allowed).toBe(c.expect.allowed);
    expect(decision?.http_status).toBe(c.expect.http_status);
    expect(decision?.headers).toMatchObject(c.expect.headers);
    const [allow] = policy.evaluate(c.input, ALLOW) as Array<{ result: boolean }>;
    expect(allow?.result).toBe(c.expect.allowed);
    // The authz server's own reading of a result object accepts it as the same decision.
    const read = toDecision(decision);
    expect(read.allowed).toBe(c.expect.allowed);
    expect(read.httpStatus).toBe(c.expect.http_status);
  });

  it("decides exactly as OPA's Rego interpreter on every case", () => {
    const inputFile = join(out, "cases.json");
    writeFileSync(inputFile, JSON.stringify({ cases: zeroTrustCases.map((c) => c.input) }));
    const query = `[d | some c in input.cases; d := data.meshward.zerotrust.decision with input as c]`;
    const r = run(opaBinary(), ["eval", "--format", "json", "-d", "policy/zero-trust", "-i", inputFile, query]);
    expect(r.status, r.stderr).toBe(0);
    const interpreted = JSON.parse(r.stdout).result[0].expressions[0].value as unknown[];
    const compiled = zeroTrustCases.map(
      (c) => (policy.evaluate(c.input, DECISION) as Array<{ result: unknown }>)[0]?.result,
    );
    expect(compiled).toEqual(interpreted);
  });

  it("gives policy/README.md's example result for its example input", () => {
    const readme = readFileSync(join(repoRoot, "policy/README.md"), "utf8");
    const example = (label: string): unknown => {
      const m = new RegExp(`<!-- example:${label} -->\\s*\`\`\`json\\n([\\s\\S]*?)\`\`\``).exec(readme);
      expect(m, `policy/README.md lacks the example:${label} block`).not.toBeNull();
      return JSON.parse(m?.[1] ?? "null");
    };
    const [first] = policy.evaluate(example("input"), DECISION) as Array<{ result: unknown }>;
    expect(first?.result).toEqual(example("result"));
  });

  it("is refused by the SDK-builtins check when it needs a builtin the Wasm SDK lacks", () => {
    const dir = join(out, "needs-clock");
    mkdirSync(dir);
    writeFileSync(join(dir, "clock.rego"), "package clock\n\nimport rego.v1\n\nnow := time.now_ns()\n");
    const caps = join(out, "opa-wasm-sdk-capabilities.json");
    const r = run(opaBinary(), ["check", "--strict", "--capabilities", caps, dir]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/undefined function time\.now_ns/);
  });

  it("verifies with the dev key and fails with another key or after tampering (real OPA CLI)", () => {
    const signed = join(out, "zero-trust.tar.gz");
    const publicKey = join(out, "dev-keys/zero-trust.verification-key.pem");
    const verify = (target: string, key: string) =>
      run(opaBinary(), [
        "build",
        "--bundle",
        target,
        "--verification-key",
        key,
        "--signing-alg",
        "ES256",
        "-o",
        join(out, "verified.tar.gz"),
      ]);
    const ok = verify(signed, publicKey);
    expect(ok.status, ok.stderr).toBe(0);

    const wrongKey = verify(signed, devSigningKey(join(out, "other-keys"), "other").publicKeyPath);
    expect(wrongKey.status).not.toBe(0);
    expect(wrongKey.stdout + wrongKey.stderr).toMatch(/failed to verify JWT signature/);

    // Unpack, edit data.json, repack with OPA's absolute member names; the untouched repack is the
    // control that shows the repacking itself keeps the signature valid.
    const unpacked = join(out, "unpacked");
    mkdirSync(unpacked);
    expect(run("tar", ["-xzf", signed, "-C", unpacked]).status).toBe(0);
    const repack = (target: string) => {
      const members = [".manifest", ".signatures.json", "data.json", "policy.wasm", "policy"];
      const r = run("tar", ["-czPf", target, "-C", unpacked, "--transform", "s,^,/,", ...members]);
      expect(r.status, r.stderr).toBe(0);
      return target;
    };
    const control = verify(repack(join(out, "repacked.tar.gz")), publicKey);
    expect(control.status, control.stdout + control.stderr).toBe(0);

    const dataFile = join(unpacked, "data.json");
    const data = JSON.parse(readFileSync(dataFile, "utf8"));
    data.meshward.config.routes.push({ id: "backdoor", methods: ["GET"], paths: ["/**"], anonymous: true });
    writeFileSync(dataFile, JSON.stringify(data));
    const tampered = verify(repack(join(out, "tampered.tar.gz")), publicKey);
    expect(tampered.status).not.toBe(0);
    expect(tampered.stdout + tampered.stderr).toMatch(/data\.json: digest mismatch/);
  });
});
