// `npm run test:istio`: the real-istiod e2e alone (one file, processes started once for all of it),
// reported to build/test-results-istio.json for CI's summary.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/istio/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    reporters: ["default", "json"],
    outputFile: { json: "build/test-results-istio.json" },
  },
});
