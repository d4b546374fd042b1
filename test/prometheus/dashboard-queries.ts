// The PromQL expressions of the Grafana dashboard (manifests/grafana/meshward.json): panel targets,
// rows' nested panels included, and annotation queries.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/tools.ts";

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  panels: Panel[];
  annotations?: { list?: { expr?: string }[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(repoRoot, "manifests/grafana/meshward.json"), "utf8")) as Dashboard;
}

const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

export function dashboardExpressions(dashboard: Dashboard = readDashboard()): string[] {
  return [
    ...allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : []))),
    ...(dashboard.annotations?.list ?? []).flatMap((a) => (a.expr ? [a.expr] : [])),
  ];
}
