// The bearer token of the admin events endpoint (`risk.admin`): inline in the config, or in a file
// read at start-up (a file's trailing newline is dropped). One length rule for both, so a short
// token is refused wherever it comes from.
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.ts";

/** Shortest accepted admin token: 16 characters (e.g. 12 random bytes in base64) resist guessing. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Refuses a token shorter than MIN_ADMIN_TOKEN_LENGTH, naming `field` (where it came from). */
export function checkAdminTokenLength(field: string, token: string): string {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new ConfigError(field, `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  return token;
}

/** The token itself: the inline one (checked by the schema already) or the file's content. */
export function readAdminToken(admin: { token?: string; tokenFile?: string }): string {
  if (admin.token !== undefined) return admin.token;
  const token = readFileSync(admin.tokenFile as string, "utf8").trim();
  return checkAdminTokenLength("risk.admin.tokenFile", token);
}
