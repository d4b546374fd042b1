// Keys named `__proto__`, `constructor` or `prototype` in JSON from outside the process can never
// reach a prototype or change a decision: request bodies (kept as JSON.parse's own properties, what
// opa-envoy-plugin's policies see), config documents (refused, naming the field), admin security
// events (refused with 400). Bundles and JWKS have their own regression tests
// (bundle-hardening.test.ts, jwks-refresh.test.ts).
import { create } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import { checkServiceOptions } from "../../authz-server/src/app/check-options.ts";
import { CheckService } from "../../authz-server/src/check/check-service.ts";
import { defaultConfig, validateConfig } from "../../authz-server/src/config/schema.ts";
import { AdminEvents } from "../../authz-server/src/events/admin-events.ts";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { findPrototypeKey, parseJsonData, parseJsonStrict } from "../../authz-server/src/json/untrusted-json.ts";
import { createRedactor } from "../../authz-server/src/ops/redact.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle, readBundle } from "../authz/helpers/opa-bundle.ts";
import { prototypeSnapshot } from "./prototype-snapshot.ts";

const HOSTILE =
  '{"__proto__": {"allowed": true, "polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}';

describe("request bodies", () => {
  let service: CheckService;

  beforeAll(async () => {
    const policy = new ActivePolicy();
    await policy.activateFromBytes(
      readBundle(buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow"] })),
      "opa-envoy",
    );
    const config = defaultConfig(repoRoot);
    service = new CheckService(checkServiceOptions(config), { policy });
  });

  const check = (method: string, body: string) =>
    service.check(
      create(CheckRequestSchema, {
        attributes: {
          request: {
            http: { method, path: "/orders", headers: { "content-type": "application/json" }, body },
          },
        },
      }),
    );

  it("cannot reach a prototype or change a decision, in the check or its decision log", async () => {
    const before = prototypeSnapshot();
    const plain = await check("POST", '{"note": 1}');
    const hostile = await check("POST", HOSTILE);
    expect(hostile.record.allowed).toBe(plain.record.allowed);
    expect(hostile.record.errorCode).toBe(plain.record.errorCode);
    // The keys are there for the policy, as own data.
    const body = hostile.record.input?.parsed_body as Record<string, unknown>;
    expect(Object.hasOwn(body, "__proto__")).toBe(true);
    createRedactor({ bodyPaths: ["/**"], paths: ["parsed_body.__proto__.polluted"] })(hostile.record.input);
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("configuration", () => {
  it("refuses a prototype key anywhere in the document, naming it", () => {
    const defaults = defaultConfig(repoRoot);
    for (const [document, field] of [
      [{ __proto__: null, ["__proto__" as string]: { polluted: true } }, "__proto__"],
      [{ risk: { config: { constructor: { prototype: {} } } } }, "risk.config.constructor"],
      [{ bundle: { signing: { keys: { prototype: { keyFile: "k.pem" } } } } }, "bundle.signing.keys.prototype"],
    ] as const) {
      expect(findPrototypeKey(document), JSON.stringify(document)).toBe(field);
      expect(() => validateConfig(document, defaults)).toThrow(
        new RegExp(`${field.replace(/\./g, "\\.")}: is not an allowed`),
      );
    }
  });
});

describe("admin security events", () => {
  it("answers 400 to a body with a prototype key, and applies nothing", async () => {
    const applied: unknown[] = [];
    const admin = new AdminEvents({
      token: "a-long-enough-admin-token",
      nowMs: () => 0,
      apply: async (body) => {
        applied.push(body);
        return { status: 202, body: {} };
      },
    });
    const reply = await admin.handle("Bearer a-long-enough-admin-token", Buffer.from(HOSTILE));
    expect(reply.status).toBe(400);
    expect(applied).toEqual([]);
  });
});

describe("the two parsers", () => {
  it("keep prototype keys as data (bundles) or refuse them (schemas)", () => {
    const data = parseJsonData(HOSTILE) as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(data)).toBeNull();
    expect(Object.keys(data)).toEqual(["__proto__", "constructor"]);
    // An own data property here, read through its descriptor.
    expect(Object.getOwnPropertyDescriptor(data, "__proto__")?.value).toEqual({ allowed: true, polluted: "yes" });
    expect(() => parseJsonStrict(HOSTILE)).toThrow(/"__proto__" is not allowed/);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
