// The short seeded variant of the strings.render_template differential fuzz (template-fuzz.ts):
// 600 random templates, each answered by the pinned OPA CLI and by Meshward, compared.
import { describe, expect, it } from "vitest";
import { scratchDir } from "./helpers/scratch.ts";
import { runTemplateFuzz } from "./template-fuzz.ts";

describe("strings.render_template against OPA on random templates (seeded)", () => {
  it("answers 600 random templates as OPA does, failures and their messages included", () => {
    const report = runTemplateFuzz(600, 20261205, scratchDir("mw-template-fuzz"));
    expect(report.failures).toEqual([]);
    expect(report.figures.cases).toBe(600);
    // Both kinds of answer are exercised: rendered text and failures.
    expect(report.figures.opaFailures).toBeGreaterThan(100);
    expect(report.figures.cases - report.figures.opaFailures).toBeGreaterThan(100);
    expect(report.figures.refusedByName).toBeLessThan(12);
  }, 120_000);
});
