// crypto.x509.parse_and_verify_certificates(_with_options): the first certificate is the trusted
// root, the last the leaf, those between are intermediates; the answer is [true, chain] with the
// first chain Go's (*x509.Certificate).Verify (1.26) returns, leaf first, or [false, []]. The
// verification is Go's, step for step, so that what OPA refuses is refused here:
//   - each certificate: no unhandled critical extension, CurrentTime (default: the evaluation's
//     clock) within NotBefore..NotAfter, an intermediate must be a CA, MaxPathLen respected;
//   - a parent must have a subject equal to the child's issuer (candidates ordered by key
//     identifier match), be a CA when it is v3 or has basic constraints, allow certSign when it
//     has a key usage, and its key must verify the child's signature (no MD5 or SHA-1, RSA keys of
//     1024 bits or more); roots are tried before intermediates, at most 100 signature checks;
//   - the leaf must match DNSName (if given); each chain must pass policy validation
//     (x509-policies.ts), the requested extended key usages (default serverAuth; KeyUsageAny
//     turns the check off) and the name constraints of its CAs (x509-names.ts).
// Options are OPA's: DNSName, CurrentTime (ns), MaxConstraintComparisons (checked, unused by Go
// 1.26) and KeyUsages (names such as "KeyUsageServerAuth"); any other key or a wrong type fails.
import { constants, createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { isPlainObject, RegoSet, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { fail, obj, str } from "./operands.ts";
import { type Certificate, certificateJson, certificatesOf, parseCertificate } from "./x509.ts";
import { chainConstraintViolation, hostnameMatches } from "./x509-names.ts";
import { type PolicyInfo, policiesValid } from "./x509-policies.ts";

const KEY_USAGES: Record<string, number> = {
  KeyUsageAny: 0,
  KeyUsageServerAuth: 1,
  KeyUsageClientAuth: 2,
  KeyUsageCodeSigning: 3,
  KeyUsageEmailProtection: 4,
  KeyUsageIPSECEndSystem: 5,
  KeyUsageIPSECTunnel: 6,
  KeyUsageIPSECUser: 7,
  KeyUsageTimeStamping: 8,
  KeyUsageOCSPSigning: 9,
  KeyUsageMicrosoftServerGatedCrypto: 10,
  KeyUsageNetscapeServerGatedCrypto: 11,
  KeyUsageMicrosoftCommercialCodeSigning: 12,
  KeyUsageMicrosoftKernelCodeSigning: 13,
};
const KEY_USAGE_CERT_SIGN = 32;
const MAX_SIGNATURE_CHECKS = 100;
const INT64_MAX = 2n ** 63n - 1n;

/** Go's SignatureAlgorithm numbers → the hash and key type that verify them (undefined: refused,
 *  as MD2/MD5/SHA-1 and DSA are). */
const SIGNATURES: Record<number, { hash: string | null; key: number; pss?: boolean }> = {
  4: { hash: "sha256", key: 1 },
  5: { hash: "sha384", key: 1 },
  6: { hash: "sha512", key: 1 },
  10: { hash: "sha256", key: 3 },
  11: { hash: "sha384", key: 3 },
  12: { hash: "sha512", key: 3 },
  13: { hash: "sha256", key: 1, pss: true },
  14: { hash: "sha384", key: 1, pss: true },
  15: { hash: "sha512", key: 1, pss: true },
  16: { hash: null, key: 4 },
};

interface VerifyOptions {
  dnsName?: string;
  nowNs: bigint;
  keyUsages: number[];
}

const field = <T>(cert: Certificate, name: string) => cert.json[name] as T;

function signatureValid(child: Certificate, parent: Certificate): boolean {
  const version = field<number>(parent, "Version");
  const bc = field<boolean>(parent, "BasicConstraintsValid");
  if ((version === 3 && !bc) || (bc && !field<boolean>(parent, "IsCA"))) return false;
  const usage = field<number>(parent, "KeyUsage");
  if (usage !== 0 && (usage & KEY_USAGE_CERT_SIGN) === 0) return false;
  const keyType = field<number>(parent, "PublicKeyAlgorithm");
  const algorithm = SIGNATURES[field<number>(child, "SignatureAlgorithm")];
  if (keyType === 0 || !algorithm || algorithm.key !== keyType) return false;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: parent.spki, format: "der", type: "spki" });
  } catch {
    return false;
  }
  if (keyType === 1 && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024) return false;
  const options = algorithm.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : key;
  try {
    return verify(algorithm.hash, child.tbs, options, child.signature);
  } catch {
    return false;
  }
}

type CertType = "leaf" | "intermediate" | "root";

function certificateValid(cert: Certificate, type: CertType, chain: Certificate[], options: VerifyOptions): boolean {
  if (cert.json.UnhandledCriticalExtensions !== null) return false;
  const child = chain[chain.length - 1];
  if (child && !child.rawIssuer.equals(cert.rawSubject)) return false;
  if (options.nowNs < cert.notBeforeNs || options.nowNs > cert.notAfterNs) return false;
  const bc = field<boolean>(cert, "BasicConstraintsValid");
  if (type === "intermediate" && (!bc || !field<boolean>(cert, "IsCA"))) return false;
  const maxPathLen = field<number>(cert, "MaxPathLen");
  return !(bc && maxPathLen >= 0 && chain.length - 1 > maxPathLen);
}

/** The certificates of `pool` that may have issued `cert`, in Go's order of plausibility. */
function potentialParents(pool: Certificate[], cert: Certificate): Certificate[] {
  const akid = field<string | null>(cert, "AuthorityKeyId") ?? "";
  const ranked: Certificate[][] = [[], [], []];
  for (const candidate of pool) {
    if (!candidate.rawSubject.equals(cert.rawIssuer)) continue;
    const skid = field<string | null>(candidate, "SubjectKeyId") ?? "";
    const rank = skid === akid ? 0 : skid === "" || akid === "" ? 1 : 2;
    (ranked[rank] as Certificate[]).push(candidate);
  }
  return ranked.flat();
}

function alreadyInChain(candidate: Certificate, chain: Certificate[]): boolean {
  return chain.some(
    (c) =>
      c.rawSubject.equals(candidate.rawSubject) &&
      c.spki.equals(candidate.spki) &&
      (c.san === undefined) === (candidate.san === undefined) &&
      (c.san === undefined || c.san.equals(candidate.san as Buffer)),
  );
}

interface Pools {
  roots: Certificate[];
  intermediates: Certificate[];
}

/** Go's buildChains: every chain from `chain`'s last certificate up to a root. */
function buildChains(
  chain: Certificate[],
  pools: Pools,
  options: VerifyOptions,
  budget: { checks: number },
): Certificate[][] {
  const cert = chain[chain.length - 1] as Certificate;
  const chains: Certificate[][] = [];
  for (const [type, pool] of [
    ["root", pools.roots],
    ["intermediate", pools.intermediates],
  ] as const) {
    for (const parent of potentialParents(pool, cert)) {
      if (++budget.checks > MAX_SIGNATURE_CHECKS) return chains;
      if (field<number>(parent, "PublicKeyAlgorithm") === 0 || alreadyInChain(parent, chain)) continue;
      if (!signatureValid(cert, parent) || !certificateValid(parent, type, chain, options)) continue;
      if (type === "root") chains.push([...chain, parent]);
      else chains.push(...buildChains([...chain, parent], pools, options, budget));
      if (budget.checks > MAX_SIGNATURE_CHECKS) return chains;
    }
  }
  return chains;
}

/** Go's checkChainForKeyUsage: every certificate with extended key usages must allow each one. */
function keyUsagesAllowed(chain: Certificate[], wanted: number[]): boolean {
  const remaining = new Set(wanted);
  for (let i = chain.length - 1; i >= 0; i--) {
    const cert = chain[i] as Certificate;
    const usages = field<number[] | null>(cert, "ExtKeyUsage") ?? [];
    const unknown = field<number[][] | null>(cert, "UnknownExtKeyUsage") ?? [];
    if ((usages.length === 0 && unknown.length === 0) || usages.includes(0)) continue;
    for (const usage of remaining) {
      if (usages.includes(usage)) continue;
      remaining.delete(usage);
      if (remaining.size === 0) return false;
    }
  }
  return true;
}

function policyInfo(cert: Certificate): PolicyInfo {
  const json = cert.json;
  const setting = (value: string, zero: string) =>
    (json[value] as number) > 0 || json[zero] === true ? (json[value] as number) : undefined;
  const info: PolicyInfo = {
    policies: (json.Policies as string[] | null) ?? [],
    mappings: ((json.PolicyMappings as { IssuerDomainPolicy: string; SubjectDomainPolicy: string }[] | null) ?? []).map(
      (m) => ({ issuer: m.IssuerDomainPolicy, subject: m.SubjectDomainPolicy }),
    ),
    selfIssued: cert.rawIssuer.equals(cert.rawSubject),
  };
  const explicit = setting("RequireExplicitPolicy", "RequireExplicitPolicyZero");
  const mapping = setting("InhibitPolicyMapping", "InhibitPolicyMappingZero");
  const any = setting("InhibitAnyPolicy", "InhibitAnyPolicyZero");
  if (explicit !== undefined) info.requireExplicitPolicy = explicit;
  if (mapping !== undefined) info.inhibitPolicyMapping = mapping;
  if (any !== undefined) info.inhibitAnyPolicy = any;
  return info;
}

const sha224 = (der: Buffer) => createHash("sha224").update(der).digest("hex");

/** The verified chain (leaf first), or undefined when Go's Verify fails. */
export function verifyChain(certs: Certificate[], options: VerifyOptions): Certificate[] | undefined {
  const root = certs[0] as Certificate;
  const leaf = certs[certs.length - 1] as Certificate;
  const seen = new Set<string>();
  const intermediates = certs.slice(1, -1).filter((c) => {
    const sum = sha224(c.der);
    if (seen.has(sum)) return false;
    seen.add(sum);
    return true;
  });
  if (!certificateValid(leaf, "leaf", [], options)) return undefined;
  if (
    options.dnsName !== undefined &&
    options.dnsName !== "" &&
    !hostnameMatches(options.dnsName, field<string[] | null>(leaf, "DNSNames") ?? [], leaf.names?.ips ?? [])
  ) {
    return undefined;
  }
  const candidates = root.der.equals(leaf.der)
    ? [[leaf]]
    : buildChains([leaf], { roots: [root], intermediates }, options, { checks: 0 });
  const anyUsage = options.keyUsages.includes(0);
  const wanted = options.keyUsages.length === 0 ? [1] : options.keyUsages;
  return candidates.find(
    (chain) =>
      policiesValid(chain.map(policyInfo)) &&
      (anyUsage || keyUsagesAllowed(chain, wanted)) &&
      chainConstraintViolation(chain.map((c) => ({ constraints: c.constraints, names: c.names }))) === undefined,
  );
}

function integerOption(value: RegoValue | undefined, name: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  return fail(`'${name}' should be a ${typeof value === "number" ? "valid int64 " : ""}number`);
}

/** OPA's extractVerifyOpts. */
function verifyOptions(value: RegoValue | undefined, nowNs: bigint): VerifyOptions {
  const options: VerifyOptions = { nowNs, keyUsages: [] };
  const given = obj(value, "crypto.x509.parse_and_verify_certificates_with_options");
  for (const key of Object.keys(given)) {
    const v = given[key];
    switch (key) {
      case "DNSName":
        if (typeof v !== "string") fail("'DNSName' should be a string");
        options.dnsName = v.replace(/^"+|"+$/g, "");
        break;
      case "CurrentTime": {
        const ns = integerOption(v, "CurrentTime");
        if (ns > INT64_MAX || ns < -INT64_MAX - 1n) fail("'CurrentTime' should be a valid int64 number");
        options.nowNs = ns;
        break;
      }
      case "MaxConstraintComparisons": {
        const n = integerOption(v, "MaxConstraintComparisons");
        if (n > INT64_MAX || n < -INT64_MAX - 1n) fail("'MaxConstraintComparisons' should be a valid number");
        break;
      }
      case "KeyUsages": {
        const names = Array.isArray(v)
          ? v
          : v instanceof RegoSet
            ? v.items
            : fail("'KeyUsages' should be an Array or Set");
        const invalid: string[] = [];
        for (const n of names) {
          if (typeof n !== "string") continue;
          const name = n.replace(/^"+|"+$/g, "");
          const usage = KEY_USAGES[name];
          if (usage === undefined) invalid.push(name);
          else options.keyUsages.push(usage);
        }
        if (invalid.length > 0) fail(`invalid entries for 'KeyUsages' found: [${invalid.join(" ")}]`);
        break;
      }
      default:
        fail("invalid key option");
    }
  }
  return options;
}

const NOT_VERIFIED: RegoValue = [false, []];

function parseAndVerify(text: string, options: VerifyOptions | (() => VerifyOptions), uriStrings: boolean): RegoValue {
  let certs: Certificate[];
  try {
    certs = certificatesOf(text).map(parseCertificate);
  } catch {
    return NOT_VERIFIED;
  }
  const resolved = typeof options === "function" ? options() : options;
  if (certs.length < 2) return NOT_VERIFIED;
  const chain = verifyChain(certs, resolved);
  return chain ? [true, chain.map((c) => certificateJson(c, uriStrings))] : NOT_VERIFIED;
}

export const x509VerifyBuiltins: Record<string, Builtin> = {
  "crypto.x509.parse_and_verify_certificates": ([text], context) =>
    parseAndVerify(
      str(text, "crypto.x509.parse_and_verify_certificates"),
      { nowNs: context.nowNs, keyUsages: [] },
      true,
    ),
  "crypto.x509.parse_and_verify_certificates_with_options": ([text, options], context) => {
    const input = str(text, "crypto.x509.parse_and_verify_certificates_with_options");
    if (!isPlainObject(options))
      fail("crypto.x509.parse_and_verify_certificates_with_options: operand 2 must be an object");
    return parseAndVerify(input, () => verifyOptions(options, context.nowNs), false);
  },
};
