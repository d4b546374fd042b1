// Certificate extensions as Go's crypto/x509 (1.26, parser.go processExtensions) decodes them into
// Certificate fields: key usage, basic constraints, subject alternative names, name constraints,
// CRL distribution points, authority and subject key identifiers, policy constraints, extended key
// usage, certificate policies, policy mappings, inhibit-any-policy and authority information
// access. As in Go, a critical extension it does not handle (or a SAN with no name it knows, or a
// name constraint of another name form) is listed in UnhandledCriticalExtensions, and the malformed
// ones Go refuses make the certificate unparseable. Alongside the JSON fields, the decoded name
// constraints and SAN names for chain verification.
import type { RegoValue } from "../rego-value.ts";
import { children, type Der, oid, read, signedInteger } from "./der.ts";
import { parseIp } from "./net.ts";
import { fail } from "./operands.ts";
import { b64, EXT_KEY_USAGES, ipText, subjectAltNames } from "./x509-fields.ts";
import { domainNameValid, type IpNet, type NameConstraints, parseMailbox, type SubjectNames } from "./x509-names.ts";

export interface Extensions {
  /** Go's Extensions list. */
  list: RegoValue[];
  /** The Certificate fields the extensions set. */
  fields: Record<string, RegoValue>;
  constraints?: NameConstraints;
  /** SAN names, when the certificate has a subjectAltName extension. */
  names?: SubjectNames;
}

function keyUsage(inner: Der): number {
  let usage = 0;
  const bytes = inner.content.subarray(1);
  for (let i = 0; i < bytes.length * 8 && i < 9; i++)
    if (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) usage |= 1 << i;
  return usage;
}

function sanNames(inner: Der): SubjectNames {
  const names: SubjectNames = { dns: [], emails: [], ips: [], uris: [] };
  for (const san of children(inner)) {
    if (san.tag === 0x82) names.dns.push(san.content.toString("latin1"));
    else if (san.tag === 0x81) names.emails.push(san.content.toString("latin1"));
    else if (san.tag === 0x86) names.uris.push(san.content.toString("latin1"));
    else if (san.tag === 0x87) names.ips.push(san.content);
  }
  return names;
}

const isIa5 = (s: string) => [...s].every((c) => c.charCodeAt(0) < 0x80);

/** One side (permitted or excluded) of a NameConstraints extension; `unhandled` for other forms. */
function subtrees(element: Der | undefined) {
  const out = {
    dns: [] as string[],
    ips: [] as IpNet[],
    emails: [] as string[],
    uris: [] as string[],
    unhandled: false,
  };
  if (!element) return out;
  for (const subtree of children(element)) {
    const [base] = children(subtree);
    if (!base) fail("x509: invalid NameConstraints extension");
    const value = base.content.toString("latin1");
    switch (base.tag) {
      case 0x82:
        if (!isIa5(value) || !domainNameValid(value, true))
          fail(`x509: failed to parse dnsName constraint ${JSON.stringify(value)}`);
        out.dns.push(value);
        break;
      case 0x87: {
        const half =
          base.content.length === 8
            ? 4
            : base.content.length === 32
              ? 16
              : fail("x509: IP constraint contained value of invalid length");
        const mask = base.content.subarray(half);
        const bits = [...mask].map((b) => b.toString(2).padStart(8, "0")).join("");
        if (/01/.test(bits)) fail("x509: IP constraint contained invalid mask");
        out.ips.push({ ip: base.content.subarray(0, half), mask });
        break;
      }
      case 0x81:
        if (!isIa5(value) || (value.includes("@") ? !parseMailbox(value) : !domainNameValid(value, true))) {
          fail(`x509: failed to parse rfc822Name constraint ${JSON.stringify(value)}`);
        }
        out.emails.push(value);
        break;
      case 0x86:
        if (!isIa5(value) || parseIp(value) || !domainNameValid(value, true))
          fail(`x509: failed to parse URI constraint ${JSON.stringify(value)}`);
        out.uris.push(value);
        break;
      default:
        out.unhandled = true;
    }
  }
  return out;
}

const ipNetJson = (n: IpNet): RegoValue => ({ IP: ipText(n.ip), Mask: b64(n.mask) });
const orNull = <T extends RegoValue>(list: T[]): RegoValue => (list.length ? list : null);

function nameConstraints(inner: Der, critical: boolean, out: Extensions): boolean {
  const parts = children(inner);
  const permitted = parts.find((p) => p.tag === 0xa0);
  const excluded = parts.find((p) => p.tag === 0xa1);
  if (parts.some((p) => p.tag !== 0xa0 && p.tag !== 0xa1)) fail("x509: invalid NameConstraints extension");
  if ((!permitted || permitted.content.length === 0) && (!excluded || excluded.content.length === 0)) {
    fail("x509: empty name constraints extension");
  }
  const p = subtrees(permitted);
  const e = subtrees(excluded);
  Object.assign(out.fields, {
    PermittedDNSDomains: orNull(p.dns),
    PermittedIPRanges: orNull(p.ips.map(ipNetJson)),
    PermittedEmailAddresses: orNull(p.emails),
    PermittedURIDomains: orNull(p.uris),
    ExcludedDNSDomains: orNull(e.dns),
    ExcludedIPRanges: orNull(e.ips.map(ipNetJson)),
    ExcludedEmailAddresses: orNull(e.emails),
    ExcludedURIDomains: orNull(e.uris),
    PermittedDNSDomainsCritical: critical,
  });
  const constraints: NameConstraints = {
    permittedDns: p.dns,
    excludedDns: e.dns,
    permittedIps: p.ips,
    excludedIps: e.ips,
    permittedEmails: p.emails,
    excludedEmails: e.emails,
    permittedUris: p.uris,
    excludedUris: e.uris,
  };
  if (Object.values(constraints).some((list) => list.length > 0)) out.constraints = constraints;
  return p.unhandled || e.unhandled;
}

/** URIs (tag [6]) of the general names in CRL distribution points. */
function crlDistributionPoints(inner: Der): string[] {
  const uris: string[] = [];
  for (const point of children(inner)) {
    const name = children(point).find((e) => e.tag === 0xa0);
    const full = name ? children(name).find((e) => e.tag === 0xa0) : undefined;
    if (!full) continue;
    for (const general of children(full)) {
      if (general.tag !== 0x86) break;
      uris.push(general.content.toString("latin1"));
    }
  }
  return uris;
}

/** One extension; returns whether Go leaves it unhandled. */
function decode(id: string, inner: Der, critical: boolean, out: Extensions): boolean {
  const f = out.fields;
  switch (id) {
    case "2.5.29.15":
      f.KeyUsage = keyUsage(inner);
      return false;
    case "2.5.29.19": {
      const bc = children(inner);
      const ca = bc.find((e) => e.tag === 0x01);
      const length = bc.find((e) => e.tag === 0x02);
      f.IsCA = ca !== undefined && ca.content[0] !== 0;
      f.MaxPathLen = length ? Number(signedInteger(length.content)) : -1;
      f.MaxPathLenZero = f.MaxPathLen === 0;
      f.BasicConstraintsValid = true;
      return false;
    }
    case "2.5.29.17": {
      Object.assign(f, subjectAltNames(inner.raw));
      out.names = sanNames(inner);
      const n = out.names;
      return n.dns.length + n.emails.length + n.ips.length + n.uris.length === 0;
    }
    case "2.5.29.30":
      return nameConstraints(inner, critical, out);
    case "2.5.29.31": {
      const uris = crlDistributionPoints(inner);
      if (uris.length) f.CRLDistributionPoints = uris;
      return false;
    }
    case "2.5.29.35": {
      const keyId = children(inner).find((e) => e.tag === 0x80);
      if (keyId) f.AuthorityKeyId = b64(keyId.content);
      return false;
    }
    case "2.5.29.36":
      for (const e of children(inner)) {
        const value = Number(signedInteger(e.content));
        if (e.tag === 0x80) Object.assign(f, { RequireExplicitPolicy: value, RequireExplicitPolicyZero: value === 0 });
        if (e.tag === 0x81) Object.assign(f, { InhibitPolicyMapping: value, InhibitPolicyMappingZero: value === 0 });
      }
      return false;
    case "2.5.29.37": {
      const known: number[] = [];
      const unknown: number[][] = [];
      for (const usage of children(inner)) {
        const o = oid(usage.content);
        const n = EXT_KEY_USAGES[o.join(".")];
        if (n === undefined) unknown.push(o);
        else known.push(n);
      }
      f.ExtKeyUsage = known;
      if (unknown.length) f.UnknownExtKeyUsage = unknown;
      return false;
    }
    case "2.5.29.14":
      if (critical) fail("x509: subject key identifier incorrectly marked critical");
      f.SubjectKeyId = b64(inner.content);
      return false;
    case "2.5.29.32": {
      const policies = children(inner).map((info) => oid((children(info)[0] as Der).content));
      f.Policies = policies.map((o) => o.join("."));
      f.PolicyIdentifiers = policies;
      return false;
    }
    case "2.5.29.33":
      f.PolicyMappings = children(inner).map((mapping) => {
        const [issuer, subject] = children(mapping) as [Der, Der];
        return {
          IssuerDomainPolicy: oid(issuer.content).join("."),
          SubjectDomainPolicy: oid(subject.content).join("."),
        };
      });
      return false;
    case "2.5.29.54": {
      const value = Number(signedInteger(inner.content));
      Object.assign(f, { InhibitAnyPolicy: value, InhibitAnyPolicyZero: value === 0 });
      return false;
    }
    case "1.3.6.1.5.5.7.1.1":
      if (critical) fail("x509: authority info access incorrectly marked critical");
      for (const access of children(inner)) {
        const [method, location] = children(access) as [Der, Der | undefined];
        if (location?.tag !== 0x86) continue;
        const key = { "1.3.6.1.5.5.7.48.1": "OCSPServer", "1.3.6.1.5.5.7.48.2": "IssuingCertificateURL" }[
          oid(method.content).join(".")
        ];
        if (key) f[key] = [...((f[key] as string[] | undefined) ?? []), location.content.toString("latin1")];
      }
      return false;
    default:
      return true;
  }
}

/** The extensions of a TBSCertificate ([3] EXPLICIT Extensions), or of a CSR's extension request. */
export function decodeExtensions(list: Der | undefined): Extensions {
  const out: Extensions = { list: [], fields: {} };
  if (!list) return out;
  const unhandled: number[][] = [];
  for (const extension of children(list)) {
    const parts = children(extension);
    const id = oid((parts[0] as Der).content);
    const critical = parts.length === 3 ? (parts[1] as Der).content[0] !== 0 : false;
    const value = (parts[parts.length - 1] as Der).content;
    out.list.push({ Critical: critical, Id: id, Value: b64(value) });
    if (decode(id.join("."), read(value), critical, out) && critical) unhandled.push(id);
  }
  if (unhandled.length) out.fields.UnhandledCriticalExtensions = unhandled;
  return out;
}
