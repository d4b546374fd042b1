// `npm start` as a newcomer runs it: the local mesh comes up (real Envoy, the authz server with the
// live page, three endpoints, the control API), serves allowed requests across the endpoints, refuses
// denied ones, makes an endpoint fail on request, shows live numbers and the sandbox Prometheus's
// rules and targets in headless Chromium (the bootstrap's, driven by playwright-core; a screenshot is
// saved to build/screenshots/sandbox.png), and Ctrl-C (SIGINT) stops every process it started.
// Alerts firing on live data: test/mesh/prometheus-live.e2e.test.ts.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_HEADLESS_FLAGS } from "../../scripts/lib/chromium.ts";
import { type ManagedProcess, startProcess } from "../../scripts/lib/processes.ts";
import { chromiumBinary, repoRoot } from "../../scripts/lib/tools.ts";

const ENDPOINTS = ["sample-app-1", "sample-app-2", "sample-app-3"];

interface Ready {
  listener: string;
  page: string;
  authzHttp: string;
  control: string;
  filters: string[];
  prometheus: string | null;
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as stopped. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function stoppedWithin(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(running) && Date.now() < deadline) await sleep(50);
  return pids.filter(running);
}

/** The page's number in `testId` (thousands shown as "1.2k" are read back as such). */
async function shownNumber(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent())?.trim() ?? "";
  const m = /^([\d.]+)(k?)$/.exec(text);
  return m ? Number(m[1]) * (m[2] ? 1000 : 1) : Number.NaN;
}

async function waitUntil(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(200);
  }
}

describe("npm start sandbox", () => {
  let sandbox: ManagedProcess | undefined;
  let ready: Ready;
  let browser: BrowserContext | undefined;
  const profile = mkdtempSync(join(tmpdir(), "meshward-chromium-"));

  beforeAll(async () => {
    sandbox = startProcess("sandbox", process.execPath, ["--import", "tsx", "scripts/sandbox.ts", "--port", "0"], {
      cwd: repoRoot,
    });
    const line = await sandbox.waitForLine(/^sandbox: ready /, 45_000);
    ready = JSON.parse(line.replace(/^sandbox: ready /, "")) as Ready;
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  it("names every filter it loads or leaves out", () => {
    const output = sandbox?.output() ?? "";
    for (const name of ["traffic-shaper", "adaptive-lb"]) {
      expect(output).toMatch(new RegExp(`^sandbox: filter ${name} (loaded \\(config from|absent — )`, "m"));
    }
    expect(ready.filters).toContain("adaptive-lb"); // built by npm run build on main
  });

  it("serves allowed requests from the three endpoints and refuses denied ones", async () => {
    const served = new Set<string>();
    let globalTier = 0;
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${ready.listener}/public/hello`);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-meshward")).toMatch(/^adaptive-lb\//);
      if (response.headers.get("ratelimit-policy")?.includes('"global";q=20;w=1')) globalTier++;
      served.add(((await response.json()) as { upstream: string }).upstream);
    }
    expect([...served].every((name) => ENDPOINTS.includes(name))).toBe(true);
    expect(served.size).toBeGreaterThanOrEqual(2);
    // The global tier answered too (scripts/sandbox/ratelimit-rules.yaml, headers on every answer it
    // decides; a call slower than Envoy's timeout is let through without them).
    expect(globalTier).toBeGreaterThan(0);
    expect((await fetch(`${ready.listener}/private/data`)).status).toBe(403);
  });

  it("makes an endpoint fail and heal through the page's control API", async () => {
    const setMode = (mode: string) =>
      fetch(`${ready.authzHttp}/dashboard/api/endpoints/sample-app-1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ mode }),
      });
    expect((await setMode("sideways")).status).toBe(400);
    expect((await setMode("failing")).status).toBe(200);
    // adaptive-lb steers traffic by observed latency, so the failing endpoint may be picked rarely:
    // send until it has answered once (bounded).
    let failedFromIt = 0;
    for (let i = 0; i < 300 && failedFromIt === 0; i++) {
      const response = await fetch(`${ready.listener}/public/hello`);
      if (response.status === 503 && response.headers.get("x-upstream") === "sample-app-1") failedFromIt++;
      await response.arrayBuffer();
    }
    expect(failedFromIt).toBe(1);
    expect((await setMode("healthy")).status).toBe(200);
    const state = (await (await fetch(`${ready.control}/state`)).json()) as { endpoints: { mode: string }[] };
    expect(state.endpoints.map((e) => e.mode)).toEqual(["healthy", "healthy", "healthy"]);
  });

  it("shows live numbers in headless Chromium that change with traffic", async () => {
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumBinary(), // throws the bootstrap's reason when it could not provide one
      headless: true,
      args: [...CHROMIUM_HEADLESS_FLAGS],
      viewport: { width: 1400, height: 1250 },
    });
    const page = await browser.newPage();
    await page.goto(ready.page);
    await expect(page.title()).resolves.toMatch(/Meshward/);
    await waitUntil("first snapshot drawn", 10_000, async () => !Number.isNaN(await shownNumber(page, "kpi-allow")));
    const allowedBefore = await shownNumber(page, "kpi-allow");
    const deniedBefore = await shownNumber(page, "kpi-deny");
    for (let i = 0; i < 15; i++) await (await fetch(`${ready.listener}/public/items`)).arrayBuffer();
    for (let i = 0; i < 5; i++) await (await fetch(`${ready.listener}/private/data`)).arrayBuffer();
    await waitUntil("allowed and denied counts move", 10_000, async () => {
      return (
        (await shownNumber(page, "kpi-allow")) >= allowedBefore + 15 &&
        (await shownNumber(page, "kpi-deny")) >= deniedBefore + 5
      );
    });
    expect(await page.getByTestId("recent").locator("tr").count()).toBeGreaterThan(0);

    // The traffic generator, started from the page: every chart gets data, risk levels above low.
    await page.getByTestId("traffic-toggle").click();
    await waitUntil(
      "generator running",
      5000,
      async () => (await page.getByTestId("traffic-toggle").getAttribute("data-running")) === "true",
    );
    await waitUntil("risk levels above low appear", 15_000, async () => {
      const high = (await page.getByTestId("risk-high").textContent()) ?? "";
      const critical = (await page.getByTestId("risk-critical").textContent()) ?? "";
      return /[1-9]/.test(high) && /[1-9]/.test(critical);
    });
    // The sandbox's Prometheus, linked from the page (it has no web UI): every rule evaluates, both
    // targets are scraped.
    expect(ready.prometheus).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(page.getByTestId("prometheus-link").getAttribute("href")).resolves.toBe(ready.prometheus);
    await waitUntil("rules evaluated and targets up", 20_000, async () => {
      const rules = (await page.getByTestId("prometheus-rules").textContent()) ?? "";
      const targets = (await page.getByTestId("prometheus-targets").textContent()) ?? "";
      return (
        /\d+ rules in 6 groups .*: all evaluate$/.test(rules) && /meshward-authz up.*meshward-envoy up/.test(targets)
      );
    });
    await sleep(4000); // a few more seconds of chart history for the screenshot
    const rate = await shownNumber(page, "kpi-rate");
    expect(rate).toBeGreaterThan(0);
    // Endpoint picks as Envoy counted them: one row per endpoint, traffic spread over them.
    const picks = (await page.getByTestId("endpoint-requests").allTextContents()).map(Number);
    expect(picks).toHaveLength(3);
    expect(picks.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    // The global tier: 160 low-risk requests, two at a time, meet the global rule (20/s, burst 40)
    // and the page draws it over its limit. Two at a time, because all at once most were shed
    // first by the traffic-shaper's adaptive concurrency limit (503 concurrency-limit, down to 4
    // in flight with 80 % for low risk), and then too few reached the global rule to trip it. The
    // generator alone cannot be relied on here: its high and critical requests share the local
    // "risky" rule's 10 a minute, so whether one reaches a risk-level rule within seconds is a
    // matter of chance.
    const burstStart = performance.now();
    const burst: number[] = [];
    for (let wave = 0; wave < 80; wave++) {
      const statuses = await Promise.all(
        [0, 1].map(async () => {
          const response = await fetch(`${ready.listener}/public/items`);
          await response.arrayBuffer();
          return response.status;
        }),
      );
      burst.push(...statuses);
    }
    const burstMs = Math.round(performance.now() - burstStart);
    const counted: Record<number, number> = {};
    for (const status of burst) counted[status] = (counted[status] ?? 0) + 1;
    expect(
      burst.filter((status) => status === 429).length,
      `${JSON.stringify(counted)} in ${burstMs} ms`,
    ).toBeGreaterThan(0);
    await waitUntil("the global rule drawn over its limit", 10_000, async () => {
      const row = page.getByTestId("global-limits").locator("tr", { hasText: /^mesh \/ global/ });
      if ((await row.count()) !== 1) return false;
      const overLimit = (await row.locator("td").nth(2).textContent()) ?? "";
      return /[1-9]/.test(overLimit);
    });
    mkdirSync(join(repoRoot, "build/screenshots"), { recursive: true });
    await page.screenshot({ path: join(repoRoot, "build/screenshots/sandbox.png"), fullPage: true });
    await page.getByTestId("traffic-toggle").click();
    await waitUntil(
      "generator stopped",
      5000,
      async () => (await page.getByTestId("traffic-toggle").getAttribute("data-running")) === "false",
    );
  });

  it("stops cleanly on Ctrl-C", async () => {
    const proc = sandbox as ManagedProcess;
    const children = execFileSync("pgrep", ["-P", String(proc.pid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number);
    expect(children.length).toBeGreaterThanOrEqual(3); // authz server + Envoy + Prometheus

    proc.child.kill("SIGINT");
    await proc.waitForLine(/^sandbox: stopped/, 15_000);
    const code = await proc.stop();
    expect(code).toBe(0);
    expect(await stoppedWithin(children, 5000)).toEqual([]);
    await expect(fetch(`${ready.listener}/public/hello`)).rejects.toThrow();
    await expect(fetch(ready.page)).rejects.toThrow();
    await expect(fetch(`${ready.prometheus}/-/ready`)).rejects.toThrow();
  });
});
