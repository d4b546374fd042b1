// Regressions for the bundle findings of the hostile review:
//   - an unsigned bundle whose data.json held `"__proto__"` was unpacked and merged before its
//     signature was checked, polluting Object.prototype and crashing the server (in a loop: the same
//     bundle loaded first at every restart);
//   - fetch and unpack were unbounded: a 400 MiB download, a 255 KB gzip that froze the event loop
//     for ~1.8 s while it unpacked to 250 MiB, and a refused bundle fetched and unpacked again on
//     every poll.

import { writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkServiceOptions } from "../../authz-server/src/app/check-options.ts";
import { CheckService } from "../../authz-server/src/check/check-service.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { AuthzMetrics } from "../../authz-server/src/ops/metrics.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { BundleSource } from "../../authz-server/src/policy/bundle-source.ts";
import { writeTarGz } from "../../authz-server/src/policy/tar.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { fixture } from "../authz/helpers/fixtures.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";
import { type BundleKit, bundleKit, pollutingData } from "./bundle-kit.ts";
import { gzipBomb, manyEntries } from "./hostile-tar.ts";
import { prototypeSnapshot } from "./prototype-snapshot.ts";

let kit: BundleKit;
const text = (value: string) => new TextEncoder().encode(value);

beforeAll(async () => {
  kit = await bundleKit();
});

const checks = (policy: ActivePolicy) => new CheckService(checkServiceOptions(defaultConfig(repoRoot)), { policy });

async function refusal(policy: ActivePolicy, archive: Uint8Array): Promise<string | undefined> {
  try {
    await policy.activateFromBytes(archive, "test");
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe("signature before content", () => {
  it("refuses an unsigned bundle with __proto__ data by its signature, and nothing reaches a prototype", async () => {
    const before = prototypeSnapshot();
    const policy = new ActivePolicy({ signature: kit.verification });
    await policy.activateFromBytes(kit.signed, "good");
    const hostile = new Map(kit.files);
    hostile.set("/data.json", text(pollutingData("__proto__", 0)));
    expect(await refusal(policy, writeTarGz(hostile))).toBe("MW_BUNDLE_SIGNATURE");
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((await checks(policy).check(fixture("get-people-alice"))).record.errorCode).toBeUndefined();
  });

  it("checks the signature before parsing: unsigned malformed JSON is a signature refusal", async () => {
    const hostile = new Map(kit.files);
    hostile.set("/data.json", text("{not json"));
    const policy = new ActivePolicy({ signature: kit.verification });
    expect(await refusal(policy, writeTarGz(hostile))).toBe("MW_BUNDLE_SIGNATURE");
  });

  it("keeps __proto__, constructor and prototype keys of (unsigned) bundle data as data", async () => {
    const before = prototypeSnapshot();
    const policy = new ActivePolicy();
    const metrics = new AuthzMetrics();
    for (const key of ["__proto__", "constructor", "prototype"]) {
      for (const depth of [0, 3]) {
        const files = new Map(kit.files);
        files.set("/data.json", text(pollutingData(key, depth)));
        files.set(`/${key}/data.json`, text('{"polluted": "yes"}'));
        await policy.activateFromBytes(writeTarGz(files), `${key}-${depth}`);
        metrics.bundleStatus(policy.bundleStatus, "ok");
      }
    }
    expect(prototypeSnapshot()).toEqual(before);
    expect(await metrics.text()).toContain("meshward_authz_bundle_active 1");
    expect((await checks(policy).check(fixture("get-people-alice"))).record.errorCode).toBeUndefined();
  });
});

describe("bounded unpack", () => {
  it("refuses a gzip bomb at the unpacked-size cap without stalling the event loop", async () => {
    const bomb = await gzipBomb(256 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(512 * 1024);
    const policy = new ActivePolicy();
    await policy.activateFromBytes(kit.archive, "good");
    // Ticks every 5 ms; the longest gap is how long checks would have waited.
    let last = performance.now();
    let longestGapMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const code = await refusal(policy, bomb);
    const tookMs = performance.now() - started;
    clearInterval(ticker);
    expect(code).toBe("MW_BUNDLE_LIMIT");
    expect(policy.bundleStatus.lastError).toMatch(/more than 8388608 bytes/);
    expect(tookMs).toBeLessThan(2000);
    expect(longestGapMs).toBeLessThan(250);
    expect(policy.bundleStatus.revision).toBe("good");
  });

  it("refuses more entries than the entry cap", async () => {
    const policy = new ActivePolicy();
    expect(await refusal(policy, manyEntries(5000))).toBe("MW_BUNDLE_LIMIT");
    expect(policy.bundleStatus.lastError).toMatch(/more than 4096 entries/);
  });

  it("takes its caps from configuration", async () => {
    const tight = new ActivePolicy({ limits: { maxUnpackedBytes: 64 * 1024, maxEntries: 10 } });
    expect(await refusal(tight, kit.archive)).toBe("MW_BUNDLE_LIMIT");
    const roomy = new ActivePolicy({ limits: { maxUnpackedBytes: 4 * 1024 * 1024, maxEntries: 10 } });
    expect(await refusal(roomy, kit.archive)).toBeUndefined();
  });
});

describe("bounded download and back-off", () => {
  let server: Server;
  let base = "";
  const served = { requests: 0, ifNoneMatch: [] as (string | undefined)[], bytesWritten: 0 };
  let handler: (res: ServerResponse) => void = (res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      served.requests++;
      served.ifNoneMatch.push(req.headers["if-none-match"] as string | undefined);
      if (req.url === "/redirect") return void res.writeHead(302, { location: `${base}/bundle` }).end();
      handler(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Streams `total` bytes of junk in 64 KiB writes, counting what the socket accepted. */
  const stream = (res: ServerResponse, total: number, headers: Record<string, string | number>) => {
    res.writeHead(200, headers);
    const chunk = Buffer.alloc(64 * 1024, 7);
    let left = total;
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        left -= chunk.length;
        served.bytesWritten += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end();
    };
    res.on("close", () => {
      left = 0;
    });
    pump();
  };

  it("refuses a declared 400 MiB download before reading it", async () => {
    served.bytesWritten = 0;
    handler = (res) => stream(res, 400 * 1024 * 1024, { "content-length": 400 * 1024 * 1024 });
    const policy = new ActivePolicy();
    const outcome = await new BundleSource(policy, `${base}/bundle`, { pollIntervalMs: 0 }).load();
    expect(outcome).toMatchObject({ result: "error", code: "MW_BUNDLE_LIMIT" });
    expect(policy.bundleStatus.lastError).toMatch(/Content-Length 419430400 is above the limit/);
    expect(served.bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it("cuts off an undeclared (chunked) download at the cap", async () => {
    served.bytesWritten = 0;
    handler = (res) => stream(res, 400 * 1024 * 1024, {});
    const policy = new ActivePolicy();
    const source = new BundleSource(policy, `${base}/bundle`, { pollIntervalMs: 0, maxDownloadBytes: 1024 * 1024 });
    expect(await source.load()).toMatchObject({ result: "error", code: "MW_BUNDLE_LIMIT" });
    expect(policy.bundleStatus.lastError).toMatch(/body larger than 1048576 bytes/);
    expect(served.bytesWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it("refuses a file source above the cap without reading it", async () => {
    const file = join(scratchDir("mw-big-bundle"), "big.tar.gz");
    writeFileSync(file, Buffer.alloc(2 * 1024 * 1024));
    const source = new BundleSource(new ActivePolicy(), file, { pollIntervalMs: 0, maxDownloadBytes: 1024 * 1024 });
    expect(await source.load()).toMatchObject({ result: "error", code: "MW_BUNDLE_LIMIT" });
  });

  it("does not follow redirects", async () => {
    const policy = new ActivePolicy();
    const outcome = await new BundleSource(policy, `${base}/redirect`, { pollIntervalMs: 0 }).load();
    expect(outcome).toMatchObject({ result: "error", code: "MW_BUNDLE_FETCH" });
    expect(policy.bundleStatus.lastError).toMatch(/HTTP 302: redirects are not followed/);
    expect(policy.evaluator).toBeUndefined();
  });

  it("does not fetch or unpack a refused bundle again while it stays the same", async () => {
    const bomb = await gzipBomb(64 * 1024 * 1024);
    // With an ETag: the next poll sends it and gets a 304.
    handler = (res) =>
      res.writeHead(res.req.headers["if-none-match"] === '"bomb"' ? 304 : 200, { etag: '"bomb"' }).end(bomb);
    const policy = new ActivePolicy();
    const withEtag = new BundleSource(policy, `${base}/bundle`, { pollIntervalMs: 0 });
    served.ifNoneMatch = [];
    expect(await withEtag.load()).toMatchObject({ result: "error", code: "MW_BUNDLE_LIMIT" });
    const refusedAt = policy.bundleStatus.lastErrorAt;
    expect(await withEtag.load()).toEqual({ result: "unchanged" });
    expect(served.ifNoneMatch).toEqual([undefined, '"bomb"']);
    // Without one: the same bytes are recognised by digest and not unpacked again.
    handler = (res) => res.writeHead(200).end(bomb);
    const noEtag = new BundleSource(policy, `${base}/other`, { pollIntervalMs: 0 });
    expect(await noEtag.load()).toEqual({ result: "unchanged" });
    expect(policy.bundleStatus.lastErrorAt).toBe(refusedAt);
    // A different bundle is processed as usual.
    handler = (res) => res.writeHead(200).end(kit.archive);
    expect(await noEtag.load()).toEqual({ result: "ok" });
  });
});
