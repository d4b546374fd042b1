// Bundles from an HTTP URL on loopback: ETag polling (304 costs no reload), a refused bundle keeps
// the last good one with the reason in the status, and hot reload never fails a check in flight.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckService } from "../../authz-server/src/check/check-service.ts";
import type { InputEnricher } from "../../authz-server/src/check/enricher.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { BundleSource, type LoadOutcome } from "../../authz-server/src/policy/bundle-source.ts";
import { fixture } from "./helpers/fixtures.ts";
import { buildBundle, readBundle } from "./helpers/opa-bundle.ts";

let server: Server;
let url = "";
let served: { body: Uint8Array; etag: string; status: number } = { body: new Uint8Array(), etag: '"0"', status: 200 };
const seen: { ifNoneMatch?: string; status: number }[] = [];
let rev1: Uint8Array;
let rev2: Uint8Array;

beforeAll(async () => {
  rev1 = readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"], revision: "rev1" }));
  rev2 = readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"], revision: "rev2" }));
  server = createServer((req, res) => {
    const ifNoneMatch = req.headers["if-none-match"];
    if (served.status !== 200) {
      seen.push({ status: served.status });
      res.writeHead(served.status).end();
      return;
    }
    if (ifNoneMatch === served.etag) {
      seen.push({ ifNoneMatch, status: 304 });
      res.writeHead(304).end();
      return;
    }
    seen.push({ status: 200, ...(ifNoneMatch ? { ifNoneMatch } : {}) });
    res.writeHead(200, { etag: served.etag, "content-type": "application/gzip" }).end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/default.tar.gz`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("BundleSource over HTTP", () => {
  it("polls with If-None-Match, reloads on change, keeps the last good bundle on failure", async () => {
    const policy = new ActivePolicy();
    const outcomes: LoadOutcome[] = [];
    const source = new BundleSource(policy, url, { pollIntervalMs: 0, onResult: (o) => outcomes.push(o) });
    served = { body: rev1, etag: '"1"', status: 200 };
    expect((await source.load()).result).toBe("ok");
    expect((await source.load()).result).toBe("unchanged");
    expect(seen.at(-1)).toEqual({ ifNoneMatch: '"1"', status: 304 });
    served = { body: new TextEncoder().encode("not a bundle"), etag: '"bad"', status: 200 };
    const bad = await source.load();
    expect(bad).toMatchObject({ result: "error", code: "MW_BUNDLE_INVALID" });
    expect(policy.bundleStatus).toMatchObject({ active: true, revision: "rev1", lastErrorCode: "MW_BUNDLE_INVALID" });
    served = { body: rev2, etag: '"2"', status: 500 };
    expect(await source.load()).toMatchObject({ result: "error", code: "MW_BUNDLE_FETCH" });
    expect(policy.bundleStatus.lastError).toMatch(/HTTP 500/);
    served = { body: rev2, etag: '"2"', status: 200 };
    expect((await source.load()).result).toBe("ok");
    expect(policy.bundleStatus).toMatchObject({ revision: "rev2" });
    expect(policy.bundleStatus.lastError).toBeUndefined();
    expect(outcomes.map((o) => o.result)).toEqual(["ok", "unchanged", "error", "error", "ok"]);
  });

  it("polls on its own interval", async () => {
    const policy = new ActivePolicy();
    served = { body: rev1, etag: '"p1"', status: 200 };
    const source = new BundleSource(policy, url, { pollIntervalMs: 100 });
    await source.load();
    served = { body: rev2, etag: '"p2"', status: 200 };
    source.start();
    try {
      for (let i = 0; i < 50 && policy.bundleStatus.revision !== "rev2"; i++)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      source.stop();
    }
    expect(policy.bundleStatus.revision).toBe("rev2");
  });
});

describe("hot reload", () => {
  it("finishes checks in flight on the bundle they started with, and fails none", async () => {
    const policy = new ActivePolicy();
    await policy.activateFromBytes(rev1, "rev1");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let gated = true;
    const waiter: InputEnricher = {
      name: "gate",
      ownedHeaders: [],
      enrich: async () => {
        if (gated) await gate;
        return undefined;
      },
    };
    const service = new CheckService(
      {
        defaultEntrypoint: "envoy/authz/allow",
        entrypointContextKey: "meshward_entrypoint",
        errorStatus: 403,
        requestParseErrorStatus: 400,
        dryRun: false,
        checkTimeoutMs: 5000,
        translate: {},
      },
      { policy, enrichers: [waiter] },
    );
    const inFlight = Array.from({ length: 20 }, () => service.check(fixture("get-people-alice")));
    await policy.activateFromBytes(rev2, "rev2");
    release();
    gated = false;
    const results = await Promise.all(inFlight);
    expect(results.every((r) => r.record.revision === "rev1" && r.record.errorCode === undefined)).toBe(true);
    // Reloading back and forth while checks run: every check is decided by one bundle or the other.
    const mixed: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      mixed.push(service.check(fixture("get-people-alice")));
      mixed.push(policy.activate(i % 2 === 0 ? rev1 : rev2, "flip"));
    }
    const settled = await Promise.all(mixed);
    const records = settled.filter(
      (s): s is Awaited<ReturnType<CheckService["check"]>> => typeof s === "object" && s !== null && "record" in s,
    );
    expect(records).toHaveLength(10);
    expect(records.every((r) => r.record.errorCode === undefined)).toBe(true);
  });
});
