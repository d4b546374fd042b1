// Whom a FAILED login was for. The risk engine counts failed authentications per principal, and a
// burst of failures must raise the risk of the account that was attacked, i.e. the name the user
// later authenticates as (the verified JWT `sub`). A request that failed authentication has no
// verified name, so the server takes the name the request *claims*:
//
//   1. the `sub` of the presented JWT, decoded WITHOUT verification (the token failed it). When
//      `identity.jwt.issuer` is configured, a token whose `iss` differs is ignored: it does not even
//      claim to come from our identity provider, so it is not a login attempt on one of our users.
//   2. else, when `risk.failedLoginHeader` is configured, that request header (for login front ends
//      that put the attempted user name into a header Envoy forwards).
//
// Abuse limits (also in authz-server/README.md "Risk"): both sources are client-controlled, so
// anyone can make failures count against any name. That is the account-lockout trade-off every
// login system has, and it is bounded here: the failed-auth signal saturates at `failedAuth.weight`
// (60 points by default → level `high` → step-up under the zero-trust bundle, never a hard deny on
// its own), a step-up answered with a high-assurance login passes, the attacker's source IP collects
// the same failures, and the window is finite (`failedAuth.principalWindowMs`, 10 min). Names are
// capped at MAX_NAME_LENGTH characters and must be free of control characters, so a forged token
// cannot create unbounded or header-splitting keys.
import { decodeJwt } from "jose";
import type { JwtConfig } from "../config/schema.ts";
import { extractToken } from "./jwt-verifier.ts";

export const MAX_NAME_LENGTH = 256;

export interface ClaimedPrincipalOptions {
  /** Where the server looks for a JWT, and the issuer it trusts (when configured). */
  jwt?: Pick<JwtConfig, "header" | "cookie" | "issuer">;
  /** Lower-case name of a header carrying the attempted user name. */
  header?: string;
}

/** Reads the claimed principal from lower-case request headers; null when there is none. */
export type ClaimedPrincipalReader = (headers: Readonly<Record<string, string>>) => string | null;

function usableName(value: unknown): string | null {
  if (typeof value !== "string" || value === "" || value.length > MAX_NAME_LENGTH) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  return /[\u0000-\u001f\u007f]/.test(value) ? null : value;
}

function subjectOfToken(token: string, issuer: string | undefined): string | null {
  let payload: ReturnType<typeof decodeJwt>;
  try {
    payload = decodeJwt(token);
  } catch {
    return null; // not a JWT at all: no name to charge (the source IP still is)
  }
  if (issuer !== undefined && payload.iss !== issuer) return null;
  return usableName(payload.sub);
}

export function claimedPrincipalReader(options: ClaimedPrincipalOptions): ClaimedPrincipalReader {
  const { jwt, header } = options;
  return (headers) => {
    if (jwt) {
      const token = extractToken(headers as Record<string, string>, jwt);
      const subject = token ? subjectOfToken(token, jwt.issuer) : null;
      if (subject !== null) return subject;
    }
    return header ? usableName(headers[header]) : null;
  };
}
