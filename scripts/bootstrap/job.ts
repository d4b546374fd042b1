// One tool the bootstrap provides, as main.ts schedules it.
import type { ToolName } from "../lib/tools.ts";
import type { Reporter } from "./report.ts";

export interface ToolJob {
  /** Its entry in .tools/stamp.json. */
  key: string;
  /** The launchers in .tools/bin it provides (all present, or the job runs). */
  launchers: readonly ToolName[];
  /** What it was installed from: a change re-runs the job. */
  pin: unknown;
  /** Compiles share the CPU lane; downloads run beside them in the other. */
  lane: "compile" | "download";
  /** The build itself cannot go on without it (a failure stops `npm test` at the build). */
  requiredByBuild: boolean;
  /** The start line: what is about to happen and roughly how long it takes. */
  plan: string;
  /** Installs (or reuses) and proves the tool runs; resolves with the end line's detail. */
  install(report: Reporter): Promise<string>;
}
