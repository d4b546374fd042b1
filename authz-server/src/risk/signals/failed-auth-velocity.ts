// Signal 2 — failed-auth velocity: recent authentication failures (and, if configured, policy
// denials) per principal and per source IP, counted in exact sliding windows by the store.
//
// Config (`failedAuth`): `weight` (points, default 60); `principalWindowMs` / `ipWindowMs` (default
// 10 min each); `principalAllowance` / `principalSaturation` (defaults 2 and 10 failures);
// `ipAllowance` / `ipSaturation` (defaults 5 and 30: one IP may front many users behind a NAT);
// `countDenials` (default true: a denied check feeds the same windows).
// Formula: s_p = ramp(n_p, allowance_p, saturation_p), s_ip = ramp(n_ip, allowance_ip, saturation_ip)
// where ramp(x, a, b) = clamp((x − a)/(b − a), 0, 1); contribution = weight × max(s_p, s_ip).
// Example: 6 failures for one principal with the defaults → (6 − 2)/(10 − 2) = 0.5 → 30 points.
// Edge cases: no principal (or no IP) → that side counts 0. Beware: anyone can push a victim's count
// up by failing logins under the victim's name; the IP side and step-up (not hard deny) limit that.
import { addReason, ramp, type Signal } from "./signal.ts";

export interface FailedAuthConfig {
  weight: number;
  principalWindowMs: number;
  ipWindowMs: number;
  principalAllowance: number;
  principalSaturation: number;
  ipAllowance: number;
  ipSaturation: number;
  countDenials: boolean;
}

export const FAILED_AUTH_DEFAULTS: FailedAuthConfig = {
  weight: 60,
  principalWindowMs: 600_000,
  ipWindowMs: 600_000,
  principalAllowance: 2,
  principalSaturation: 10,
  ipAllowance: 5,
  ipSaturation: 30,
  countDenials: true,
};

export function createFailedAuthVelocity(config: FailedAuthConfig): Signal {
  return ({ snapshot }, out) => {
    const np = snapshot.principalFailures;
    const ni = snapshot.ipFailures;
    if (np === 0 && ni === 0) return;
    const sp = ramp(np, config.principalAllowance, config.principalSaturation);
    const si = ramp(ni, config.ipAllowance, config.ipSaturation);
    const minutes = (ms: number) => Math.round(ms / 60_000);
    addReason(
      out,
      "failed-auth-velocity",
      config.weight,
      Math.max(sp, si),
      `${np} failures for the principal in ${minutes(config.principalWindowMs)} min, ` +
        `${ni} from the source IP in ${minutes(config.ipWindowMs)} min`,
    );
  };
}
