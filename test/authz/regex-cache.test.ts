// The regex builtins Meshward implements (regex.replace, regex.find_n, regex.template_match) keep
// compiled patterns in a bounded least-recently-used cache: a pattern in use survives any number
// of one-off patterns (a policy building patterns from request data), and the cache never holds
// more than its limit.
import { RE2JS } from "re2js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { regexBuiltins } from "../../authz-server/src/policy/builtins/regex.ts";
import type { EvaluationContext } from "../../authz-server/src/policy/wasm-host.ts";

const context: EvaluationContext = { nowNs: 0n, memo: new Map() };
const replace = regexBuiltins["regex.replace"] as NonNullable<(typeof regexBuiltins)["regex.replace"]>;

function compilesOf(spy: { mock: { calls: unknown[][] } }, pattern: string): number {
  return spy.mock.calls.filter(([p]) => p === pattern).length;
}

describe("regex builtins' compiled-pattern cache", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps a pattern in use compiled while 1000 one-off patterns pass through", () => {
    const spy = vi.spyOn(RE2JS, "compile");
    const hot = "^hot-[a-z]+$";
    for (let i = 0; i < 1000; i++) {
      expect(replace([`one-off-${i}`, `off-${i}$`, "x"], context)).toBe("one-x");
      expect(replace(["hot-path", hot, "ok"], context)).toBe("ok");
    }
    expect(compilesOf(spy, hot)).toBeLessThanOrEqual(1);
    expect(compilesOf(spy, "off-0$")).toBe(1);
  });

  it("compiles an evicted pattern again: the cache is bounded", () => {
    const spy = vi.spyOn(RE2JS, "compile");
    const first = "^bounded-first$";
    replace(["x", first, "y"], context);
    for (let i = 0; i < 300; i++) replace(["x", `bounded-${i}$`, "y"], context);
    replace(["x", first, "y"], context);
    expect(compilesOf(spy, first)).toBe(2);
  });
});
