// Optional steps of scripts/build-policy.ts, chosen per bundle in policy/bundles.json:
//   minCoverage      fail when `opa test --coverage` over the bundle's non-test .rego files is lower (percent)
//   sdkBuiltinsOnly  check and build against the builtins the OPA Wasm SDK provides natively, so a
//                    bundle that would throw "not implemented: built-in function" at request time
//                    fails at build time instead (capabilities.json of @open-policy-agent/opa-wasm)
//   sign             build in bundle mode and sign it (ES256) with a development key made at build time
//   stage            directory (repo-relative) that receives bundle.tar.gz and verification-key.pem,
//                    e.g. the Kustomize base that turns them into a ConfigMap
// Pure helpers plus the dev-key file handling; the OPA runs stay in the build script.
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface BundleSpec {
  dir: string;
  entrypoints: string[];
  minCoverage?: number;
  sdkBuiltinsOnly?: boolean;
  sign?: boolean;
  stage?: string;
}

interface FileCoverage {
  covered_lines?: number;
  not_covered_lines?: number;
}

/** Line coverage in percent over the files that are not tests (`*_test.rego`), from the JSON of
 *  `opa test --coverage --format json`. OPA's own total counts the test files too, which would
 *  flatter the figure. A bundle without coverable lines counts as 100%. */
export function policyCoverage(report: { files?: Record<string, FileCoverage> }): number {
  let covered = 0;
  let total = 0;
  for (const [file, cov] of Object.entries(report.files ?? {})) {
    if (file.endsWith("_test.rego")) continue;
    covered += cov.covered_lines ?? 0;
    total += (cov.covered_lines ?? 0) + (cov.not_covered_lines ?? 0);
  }
  return total === 0 ? 100 : (100 * covered) / total;
}

/** `opa capabilities --current` with its builtins replaced by the SDK's list: keeps the language
 *  features (rego_v1, ...) that the SDK's file omits, so Rego v1 still parses. */
export function sdkCapabilities(current: { builtins: unknown[] }, sdk: { builtins: unknown[] }): unknown {
  return { ...current, builtins: sdk.builtins };
}

export interface DevSigningKey {
  privateKeyPath: string;
  publicKeyPath: string;
  algorithm: "ES256";
}

/** The development signing key for `name` under `dir`, made on first use (P-256, PKCS#8 / SPKI
 *  PEM) and reused afterwards so a server configured with the public key keeps verifying
 *  rebuilds. It lives under build/ (git-ignored): production keys come from your key store. */
export function devSigningKey(dir: string, name: string): DevSigningKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = join(dir, `${name}.signing-key.pem`);
  const publicKeyPath = join(dir, `${name}.verification-key.pem`);
  if (!existsSync(privateKeyPath) || !existsSync(publicKeyPath)) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(privateKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    writeFileSync(publicKeyPath, publicKey.export({ type: "spki", format: "pem" }));
  }
  return { privateKeyPath, publicKeyPath, algorithm: "ES256" };
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
