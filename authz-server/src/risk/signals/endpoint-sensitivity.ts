// Signal 8 — endpoint sensitivity: how much is at stake on the route, from the route's ext_authz
// `context_extensions` (key `contextKey`, default `meshward.sensitivity`) or, failing that, from
// configured path rules (`routes`: longest `prefix` wins; optional `methods` restricts a rule).
//
// Value: a level name (low 0, medium ⅓, high ⅔, critical 1) or a number 0..1.
// contribution = `weight` (default 30) × value. An unrecognised value in context_extensions counts
// as `high` (a misconfigured route must not lower the stakes) and says so in the detail.
import { addReason, type Signal } from "./signal.ts";

export interface SensitivityRoute {
  prefix: string;
  methods?: string[];
  level: string;
}

export interface SensitivityConfig {
  weight: number;
  contextKey: string;
  routes: SensitivityRoute[];
}

export const SENSITIVITY_DEFAULTS: SensitivityConfig = { weight: 30, contextKey: "meshward.sensitivity", routes: [] };

const LEVEL_VALUES: Readonly<Record<string, number>> = { low: 0, medium: 1 / 3, high: 2 / 3, critical: 1 };

/** The strength 0..1 of a sensitivity value, or null when it is neither a level name nor a number in 0..1. */
export function sensitivityValue(text: string): number | null {
  const named = LEVEL_VALUES[text.trim().toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\s*\d*\.?\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= 0 && n <= 1 ? n : null;
}

export function createEndpointSensitivity(config: SensitivityConfig): Signal {
  const routes = [...config.routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((r) => ({ ...r, methods: r.methods?.map((m) => m.toUpperCase()), value: sensitivityValue(r.level) ?? 0 }));
  return ({ ctx }, out) => {
    const fromRoute = ctx.contextExtensions?.[config.contextKey];
    if (fromRoute !== undefined) {
      const value = sensitivityValue(fromRoute);
      if (value === null)
        addReason(
          out,
          "endpoint-sensitivity",
          config.weight,
          2 / 3,
          `unrecognised route sensitivity ${JSON.stringify(fromRoute)} counted as high`,
        );
      else addReason(out, "endpoint-sensitivity", config.weight, value, `route sensitivity ${fromRoute}`);
      return;
    }
    const method = ctx.method.toUpperCase();
    const rule = routes.find(
      (r) => ctx.path.startsWith(r.prefix) && (r.methods === undefined || r.methods.includes(method)),
    );
    if (rule !== undefined)
      addReason(out, "endpoint-sensitivity", config.weight, rule.value, `${rule.prefix} is ${rule.level}`);
  };
}
