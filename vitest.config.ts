import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "authz-server/test/**/*.test.ts"],
    // The real-istiod e2e has its own script (npm run test:istio) and config: test/istio/vitest.config.ts.
    exclude: ["**/node_modules/**", "test/istio/**"],
    // Real Envoy and OPA start inside tests; allow for a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ["default", "json"],
    outputFile: { json: "build/test-results.json" },
  },
});
