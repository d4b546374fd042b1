// OPA's `io.jwt.*` builtins for policies compiled to Wasm (the OPA Wasm SDK has none of them,
// npm-opa-wasm#22), implemented with synchronous node:crypto because Wasm builtins cannot await.
// Semantics follow OPA's topdown/tokens.go: `io.jwt.decode(t)` → [header, payload, signature hex];
// `io.jwt.verify_<alg>(t, key)` → boolean, where key is a PEM public key or certificate, or a JWKS
// / JWK JSON text (true if any key verifies); HS* take the shared secret. A malformed token or key
// verifies as false rather than throwing, which in OPA makes the expression undefined as well.
import { constants, createHmac, createPublicKey, type KeyObject, timingSafeEqual, verify } from "node:crypto";

interface SplitToken {
  header: Record<string, unknown>;
  payload: unknown;
  signingInput: string;
  signature: Buffer;
}

function decodeSegmentJson(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
}

/** Splits a compact JWS; throws on anything that is not three base64url parts with JSON. */
export function splitToken(token: unknown): SplitToken {
  if (typeof token !== "string") throw new Error("io.jwt: token must be a string");
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new Error("io.jwt: token is not a compact JWS (three base64url parts)");
  }
  const [h, p, s] = parts as [string, string, string];
  const header = decodeSegmentJson(h);
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new Error("io.jwt: bad header");
  return {
    header: header as Record<string, unknown>,
    payload: decodeSegmentJson(p),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, "base64url"),
  };
}

function publicKeys(material: unknown): KeyObject[] {
  if (typeof material !== "string") return [];
  const text = material.trim();
  if (text.startsWith("{")) {
    const parsed = JSON.parse(text) as { keys?: unknown[] };
    const jwks = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
    return jwks.map((jwk) => createPublicKey({ key: jwk as never, format: "jwk" }));
  }
  return [createPublicKey(text)];
}

type Family = "RS" | "PS" | "ES";
const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

function verifyAsymmetric(family: Family, bits: string, token: unknown, material: unknown): boolean {
  try {
    const t = splitToken(token);
    if (t.header.alg !== `${family}${bits}`) return false;
    const data = Buffer.from(t.signingInput);
    return publicKeys(material).some((key) => {
      if (family === "ES" && key.asymmetricKeyType !== "ec") return false;
      if (family !== "ES" && key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "rsa-pss") return false;
      const options =
        family === "PS"
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
          : family === "ES"
            ? { key, dsaEncoding: "ieee-p1363" as const }
            : key;
      return verify(HASH[bits] ?? "sha256", data, options, t.signature);
    });
  } catch {
    return false;
  }
}

/** io.jwt.verify_eddsa: an EdDSA (Ed25519) token and an Ed25519 PEM key, certificate or JWK(S). */
function verifyEdDsa(token: unknown, material: unknown): boolean {
  try {
    const t = splitToken(token);
    if (t.header.alg !== "EdDSA") return false;
    const data = Buffer.from(t.signingInput);
    return publicKeys(material).some(
      (key) => key.asymmetricKeyType === "ed25519" && verify(null, data, key, t.signature),
    );
  } catch {
    return false;
  }
}

function verifyHmac(bits: string, token: unknown, secret: unknown): boolean {
  try {
    if (typeof secret !== "string") return false;
    const t = splitToken(token);
    if (t.header.alg !== `HS${bits}`) return false;
    const expected = createHmac(HASH[bits] ?? "sha256", secret)
      .update(t.signingInput)
      .digest();
    return expected.length === t.signature.length && timingSafeEqual(expected, t.signature);
  } catch {
    return false;
  }
}

const INVALID = [false, {}, {}] as const;

/** Verifies the signature with the algorithm the token names, if `constraints` hold a matching
 *  key: `secret` for HS*, `cert` (PEM, JWK or JWKS text) for RS/PS/ES. */
function verifyWithConstraints(token: string, alg: unknown, constraints: Record<string, unknown>): boolean {
  const m = typeof alg === "string" ? /^(RS|PS|ES|HS)(256|384|512)$/.exec(alg) : null;
  if (!m) return false;
  const [, family, bits] = m as unknown as [string, "RS" | "PS" | "ES" | "HS", string];
  if (family === "HS") return verifyHmac(bits, token, constraints.secret);
  return verifyAsymmetric(family, bits, token, constraints.cert);
}

/**
 * `io.jwt.decode_verify(token, constraints)` → [valid, header, payload] as OPA defines it:
 * exactly one of `cert`/`secret`; optional `alg` (must equal the header's), `iss` (must equal the
 * token's), `aud` (required iff the token has one, and must be among its audiences), `time` (ns;
 * default now) checked against `exp` and `nbf`. Anything invalid gives [false, {}, {}].
 */
export function decodeVerify(token: unknown, constraints: unknown, nowNs: number): unknown {
  if (constraints === null || typeof constraints !== "object")
    throw new Error("io.jwt.decode_verify: constraints must be an object");
  const c = constraints as Record<string, unknown>;
  if ((c.cert === undefined) === (c.secret === undefined)) {
    throw new Error("io.jwt.decode_verify: constraints need exactly one of cert or secret");
  }
  let t: SplitToken;
  try {
    t = splitToken(token);
  } catch {
    return INVALID;
  }
  if (c.alg !== undefined && c.alg !== t.header.alg) return INVALID;
  if (!verifyWithConstraints(token as string, t.header.alg, c)) return INVALID;
  const payload = t.payload as Record<string, unknown>;
  if (payload === null || typeof payload !== "object") return INVALID;
  const nowSec = (typeof c.time === "number" ? c.time : nowNs) / 1e9;
  if (payload.exp !== undefined && (typeof payload.exp !== "number" || nowSec >= payload.exp)) return INVALID;
  if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || nowSec < payload.nbf)) return INVALID;
  if (c.iss !== undefined && payload.iss !== c.iss) return INVALID;
  if (payload.aud !== undefined) {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (c.aud === undefined || !audiences.includes(c.aud)) return INVALID;
  } else if (c.aud !== undefined) return INVALID;
  return [true, t.header, payload];
}

/** `nowNs` is the evaluation's clock (the same value `time.now_ns` returns). */
export function jwtBuiltins(
  nowNs: () => number = () => Date.now() * 1e6,
): Record<string, (...args: unknown[]) => unknown> {
  const builtins: Record<string, (...args: unknown[]) => unknown> = {
    "io.jwt.decode_verify": (token, constraints) => decodeVerify(token, constraints, nowNs()),
    "io.jwt.decode": (token) => {
      const t = splitToken(token);
      return [t.header, t.payload, t.signature.toString("hex")];
    },
  };
  for (const bits of ["256", "384", "512"]) {
    for (const family of ["RS", "PS", "ES"] as const) {
      builtins[`io.jwt.verify_${family.toLowerCase()}${bits}`] = (token, key) =>
        verifyAsymmetric(family, bits, token, key);
    }
    builtins[`io.jwt.verify_hs${bits}`] = (token, secret) => verifyHmac(bits, token, secret);
  }
  builtins["io.jwt.verify_eddsa"] = (token, key) => verifyEdDsa(token, key);
  return builtins;
}
