// What the live page shows about the sandbox's Prometheus, from its HTTP API (the bootstrap builds
// Prometheus without its web UI, so the page is where alerts and rule health are seen): alerts
// pending or firing with their annotations, rule health, and scrape targets. Input is the JSON of
// /api/v1/rules and /api/v1/targets; bounded output (MAX_LISTED per list). Pure.

export const MAX_LISTED = 50;

export interface AlertView {
  name: string;
  state: "firing" | "pending";
  severity: string;
  summary: string;
  description: string;
  runbook: string;
  activeAt: string;
  /** The alert's labels other than alertname and severity. */
  labels: Record<string, string>;
}

export interface PrometheusView {
  url: string;
  targets: { job: string; instance: string; health: string; lastError: string }[];
  rules: { groups: number; recording: number; alerting: number; unhealthy: { name: string; lastError: string }[] };
  alerts: AlertView[];
}

interface ApiAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  activeAt?: string;
}
interface ApiRule {
  name?: string;
  type?: string;
  health?: string;
  lastError?: string;
  alerts?: ApiAlert[];
}
interface ApiTarget {
  labels?: Record<string, string>;
  health?: string;
  lastError?: string;
}

const SEVERITY_ORDER = ["critical", "warning", "info"];
const rank = (severity: string) => {
  const i = SEVERITY_ORDER.indexOf(severity);
  return i === -1 ? SEVERITY_ORDER.length : i;
};

function groupsOf(rulesJson: unknown): { rules?: ApiRule[] }[] {
  const groups = (rulesJson as { data?: { groups?: unknown } } | null)?.data?.groups;
  return Array.isArray(groups) ? (groups as { rules?: ApiRule[] }[]) : [];
}

function alertView(alert: ApiAlert): AlertView | undefined {
  if (alert.state !== "firing" && alert.state !== "pending") return undefined;
  const { alertname = "", severity = "", ...labels } = alert.labels ?? {};
  const a = alert.annotations ?? {};
  return {
    name: alertname,
    state: alert.state,
    severity,
    summary: a.summary ?? "",
    description: a.description ?? "",
    runbook: a.runbook_url ?? "",
    activeAt: alert.activeAt ?? "",
    labels,
  };
}

export function prometheusView(url: string, rulesJson: unknown, targetsJson: unknown): PrometheusView {
  const rules = groupsOf(rulesJson).flatMap((g) => (Array.isArray(g.rules) ? g.rules : []));
  const alerts = rules
    .flatMap((r) => (r.type === "alerting" && Array.isArray(r.alerts) ? r.alerts : []))
    .map(alertView)
    .filter((a): a is AlertView => a !== undefined)
    .sort(
      (x, y) =>
        (x.state === y.state ? 0 : x.state === "firing" ? -1 : 1) ||
        rank(x.severity) - rank(y.severity) ||
        x.name.localeCompare(y.name),
    );
  const active = (targetsJson as { data?: { activeTargets?: unknown } } | null)?.data?.activeTargets;
  const targets = (Array.isArray(active) ? (active as ApiTarget[]) : []).map((t) => ({
    job: t.labels?.job ?? "",
    instance: t.labels?.instance ?? "",
    health: t.health ?? "unknown",
    lastError: t.lastError ?? "",
  }));
  return {
    url,
    targets: targets.slice(0, MAX_LISTED),
    rules: {
      groups: groupsOf(rulesJson).length,
      recording: rules.filter((r) => r.type === "recording").length,
      alerting: rules.filter((r) => r.type === "alerting").length,
      unhealthy: rules
        .filter((r) => r.health === "err")
        .map((r) => ({ name: r.name ?? "", lastError: r.lastError ?? "" }))
        .slice(0, MAX_LISTED),
    },
    alerts: alerts.slice(0, MAX_LISTED),
  };
}
