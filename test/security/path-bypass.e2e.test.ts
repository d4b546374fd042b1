// Path bypass through real Envoy: every shipped configuration in front of a recording upstream,
// 300+ fixed and 100 seeded random path variants (dot segments in every encoding, slashes and
// backslashes, `;` parameters, NUL, case, fragments, double encoding, absolute-form request lines)
// over raw HTTP/1.1 sockets and HTTP/2. The assertion is on what the upstream received
// (test/security/bypass-run.ts): nothing outside /public/ for the default policy, nothing outside
// the zero-trust bundle's public routes for anonymous callers, and only normalised paths from the
// example configs. The long run is `npm run fuzz -- --only paths`.
//
// Regression for the hostile review's first finding: through `npm start`'s Envoy,
// `/public/../private/data`, `/public/%2e%2e/private`, `/public/..;/private`, `/public%2F..%2Fprivate`
// and others reached the upstream with their raw path and were answered 200.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BypassSetup, insidePublic, normalised, runBypass, startBypassSetup } from "./bypass-run.ts";
import { fixedVariants, REPORTED_PATHS, randomVariants } from "./path-variants.ts";

const CONTROLS = ["/public/ok", "/public/a/b/"];

let setup: BypassSetup;

beforeAll(async () => {
  setup = await startBypassSetup();
}, 120_000);
afterAll(() => setup?.close());

describe("the oracle", () => {
  it("catches what reached the upstream in the reported bypass, and passes normal paths", () => {
    for (const target of ["/public/../private/data", "/public/..;/private", "/public/%252e%252e/private"])
      expect(insidePublic(target), target).toBeDefined();
    for (const target of ["/public/x/../y", "/public//x", "/public/%2e/x"])
      expect(normalised(target), target).toBeDefined();
    expect(insidePublic("/public/a/b/")).toBeUndefined();
    expect(normalised("/public/a;b=1/c/")).toBeUndefined();
  });
});

describe("path bypass through every shipped Envoy config", () => {
  const variants = [
    ...fixedVariants(),
    ...randomVariants(100, 20261128),
    // Already among the fixed variants; sent once more so this file names what was reported.
    ...REPORTED_PATHS.map((target) => ({ target, absolute: false })),
  ];

  it("generates at least 200 variants", () => {
    expect(variants.length).toBeGreaterThanOrEqual(400);
  });

  for (const name of [
    "sandbox",
    "http-mode",
    "zero-trust",
    "example:filters/adaptive-lb/envoy.yaml",
    "example:filters/traffic-shaper/envoy.yaml",
  ]) {
    it(`${name}: the upstream receives nothing the configuration did not mean to let through`, async () => {
      const config = setup.configs.find((c) => c.name === name);
      if (!config) throw new Error(`no config ${name}`);
      const report = await runBypass(setup, config, variants);
      expect(report.violations).toEqual([]);
      expect(report.sent).toBeGreaterThan(variants.length);
      // The pipe works: ordinary public paths do reach the upstream (one at a time, so the
      // sandbox's traffic shaper has no reason to shed them).
      const controls = await runBypass(
        setup,
        config,
        CONTROLS.map((target) => ({ target, absolute: false })),
        1,
      );
      for (const control of CONTROLS) {
        expect(controls.reachedTargets.has(`h1 ${control}`), `${control} over HTTP/1.1`).toBe(true);
        expect(controls.reachedTargets.has(`h2 ${control}`), `${control} over HTTP/2`).toBe(true);
      }
    });
  }
});
