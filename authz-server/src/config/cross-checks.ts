// Relations between config sections that no single section can check on its own. Run by the
// composition root before anything is started, so a refused config leaves nothing running.
import { ConfigError } from "../errors.ts";
import { ADMIN_EVENTS_PATH } from "../events/admin-events.ts";
import type { AuthzConfig } from "./schema.ts";

export function checkCrossFields(config: AuthzConfig): void {
  const admin = config.risk?.admin;
  if (!admin) return;
  if (!config.http.enabled)
    throw new ConfigError("risk.admin", "the admin endpoint needs the HTTP listener (http.enabled)");
  // The HTTP listener treats every path under the prefix as a check; the admin path must not be one.
  if (`${ADMIN_EVENTS_PATH}/`.startsWith(`${config.http.checkPathPrefix}/`))
    throw new ConfigError(
      "risk.admin",
      `${ADMIN_EVENTS_PATH} would shadow checks under http.checkPathPrefix ${config.http.checkPathPrefix}`,
    );
}
