import { describe, expect, it } from "vitest";
import {
  createEndpointSensitivity,
  SENSITIVITY_DEFAULTS,
  sensitivityValue,
} from "../../../authz-server/src/risk/signals/endpoint-sensitivity.ts";
import { context, input, run } from "../fixtures.ts";

const signal = createEndpointSensitivity({
  ...SENSITIVITY_DEFAULTS,
  routes: [
    { prefix: "/admin", level: "high" },
    { prefix: "/admin/keys", level: "critical", methods: ["post", "DELETE"] },
    { prefix: "/payments", level: "0.5" },
  ],
});
const at = (method: string, path: string, ext: Record<string, string> = {}) =>
  run(signal, input({ ctx: context({ method, path, contextExtensions: ext }) }));

describe("endpoint-sensitivity", () => {
  it("reads levels and numbers", () => {
    expect([
      sensitivityValue("low"),
      sensitivityValue("Critical"),
      sensitivityValue("0.25"),
      sensitivityValue("1.5"),
      sensitivityValue("x"),
    ]).toEqual([0, 1, 0.25, null, null]);
  });
  it("prefers the route's context_extensions", () => {
    expect(at("GET", "/admin", { "meshward.sensitivity": "medium" })).toEqual([
      { signal: "endpoint-sensitivity", contribution: 10, detail: "route sensitivity medium" },
    ]);
    expect(at("GET", "/", { "meshward.sensitivity": "banana" })).toEqual([
      {
        signal: "endpoint-sensitivity",
        contribution: 20,
        detail: 'unrecognised route sensitivity "banana" counted as high',
      },
    ]);
  });
  it("falls back to the longest matching path rule, honouring methods", () => {
    expect(at("POST", "/admin/keys/1")[0]?.contribution).toBe(30);
    expect(at("GET", "/admin/keys/1")[0]?.contribution).toBe(20);
    expect(at("GET", "/payments/x")[0]?.contribution).toBe(15);
    expect(at("GET", "/public")).toEqual([]);
  });
});
