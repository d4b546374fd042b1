// The risk engine's two doors into the server: the enricher that scores every check and hears its
// outcome (charging failed logins to the claimed principal), and the admin events endpoint.
import { readAdminToken } from "../config/admin-token.ts";
import { AdminEvents } from "../events/admin-events.ts";
import { claimedPrincipalReader } from "../identity/claimed-principal.ts";
import { type RiskAssessor, RiskEnricher } from "../risk/risk-enricher.ts";
import type { RiskRuntime } from "./risk-runtime.ts";
import type { Wiring } from "./wiring.ts";

export function riskEnricher({ config, nowMs, metrics }: Wiring, engine: RiskAssessor | undefined) {
  if (!engine) return undefined;
  const jwt = config.identity.jwt;
  const header = config.risk?.failedLoginHeader;
  return new RiskEnricher(engine, nowMs, {
    claimedPrincipal: claimedPrincipalReader({ ...(jwt ? { jwt } : {}), ...(header ? { header } : {}) }),
    onOutcome: (kind) => metrics.riskOutcome(kind),
  });
}

/** `POST /admin/v1/events` when `risk.admin` is configured and the risk runtime runs. */
export function adminEvents({ config, logger, nowMs, metrics }: Wiring, risk: RiskRuntime | undefined) {
  const admin = config.risk?.admin;
  if (!admin || !risk) return undefined;
  return new AdminEvents({
    token: readAdminToken(admin),
    apply: (body, now) => risk.applyEvent(body, now),
    nowMs,
    onResult: (outcome, type, detail) => {
      metrics.securityEvent(type, outcome);
      if (outcome !== "accepted")
        logger.warn({ event: "security_event", outcome, type, detail }, "security event not applied");
    },
  });
}
