// The CLI with a bundle signed by `opa build --signing-key` (ES256 key made here): refused without a
// verification key (as OPA does) — the server stays up, not ready, denying every check with
// MW_BUNDLE_SIGNATURE — and served with `--verification-key` (algorithm inferred from the key).
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { buildBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

describe("signed bundle through the CLI", () => {
  it("needs --verification-key, then serves the signed bundle", async () => {
    const dir = scratchDir("mw-signed");
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(join(dir, "signing.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "verification.pem"), publicKey.export({ type: "spki", format: "pem" }));
    const bundle = buildBundle("policy/default", {
      entrypoints: ["envoy/authz/allow"],
      revision: "signed-es256",
      extraArgs: ["--bundle", "--signing-key", join(dir, "signing.pem"), "--signing-alg", "ES256"],
    });
    const refusing = await startAuthzProcess(["--bundle", bundle]);
    try {
      const base = `http://127.0.0.1:${refusing.httpPort}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      const check = await fetch(`${base}/check/public/x`);
      expect(check.status).toBe(403);
      expect(check.headers.get("x-meshward-reason")).toBe("MW_BUNDLE_SIGNATURE");
    } finally {
      await refusing.stop();
    }
    const authz = await startAuthzProcess(["--bundle", bundle, "--verification-key", join(dir, "verification.pem")]);
    try {
      const status = (await (await fetch(`http://127.0.0.1:${authz.httpPort}/status`)).json()) as {
        bundle: { revision: string };
      };
      expect(status.bundle.revision).toBe("signed-es256");
      expect((await fetch(`http://127.0.0.1:${authz.httpPort}/check/public/x`)).status).toBe(200);
    } finally {
      await authz.stop();
    }
  });
});
