// `npm run test:node24`: the authz server's suites once more with vitest itself and every authz
// server process the tests start (they spawn process.execPath) on the pinned Node 24 LTS from the
// bootstrap, while the machine's Node runs everything else. Writes its own vitest report
// (build/test-results-node24.json) so the main run's report stays as it was.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { node24Binary, repoRoot, toolVersions } from "./lib/tools.ts";

/** The authz server's unit, e2e, risk-in-server, fault and security suites. */
export const AUTHZ_SUITES = [
  "test/authz",
  "test/compat",
  "test/risk/server-wiring.test.ts",
  "test/risk/server-replicas.e2e.test.ts",
  "test/risk/envoy.e2e.test.ts",
  "test/reliability/authz-faults.test.ts",
  "test/security",
];

const node = node24Binary();
const major = toolVersions.node24.version.split(".")[0] ?? "24";
console.log(`test:node24: vitest on ${node} (Node ${toolVersions.node24.version}): ${AUTHZ_SUITES.join(" ")}`);
const r = spawnSync(
  node,
  [
    join(repoRoot, "node_modules/vitest/vitest.mjs"),
    "run",
    ...AUTHZ_SUITES,
    "--outputFile.json=build/test-results-node24.json",
    ...process.argv.slice(2),
  ],
  { cwd: repoRoot, stdio: "inherit", env: { ...process.env, MESHWARD_EXPECT_NODE_MAJOR: major } },
);
process.exit(r.status ?? 1);
