// Replays the recorded opa-envoy-plugin corpus (fixtures/recorded.json) through Meshward's authz
// server over gRPC and compares what Envoy would do with each answer (outcome.ts). A difference
// passes only if test/compat/allowlist.json lists the case with its reason, the line of the docs
// that tells users about it, and Meshward's exact outcome; any other difference, a listed case that
// no longer differs, or a documentation line that is gone fails. One server per setting (default,
// dry-run, body parsing off), all cases through each in parallel batches.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle } from "../authz/helpers/opa-bundle.ts";
import type { Answer } from "./answer.ts";
import { type CheckClient, checkClient } from "./check-client.ts";
import { CORPUS, type CorpusCase, entrypointOf } from "./corpus/cases.ts";
import { readRecordedCorpus } from "./fixture.ts";
import { EQUIVALENCE_RULES, meshwardOutcome, type Outcome, peerOutcome } from "./outcome.ts";

interface Documented {
  file: string;
  text: string;
}
interface Allowlist {
  rules: { id: string; reason: string; documented: Documented }[];
  differences: { case: string; reason: string; documented: Documented; meshward: Outcome }[];
}

const recorded = readRecordedCorpus();
const allowlist = JSON.parse(readFileSync(join(repoRoot, "test/compat/allowlist.json"), "utf8")) as Allowlist;
const ERROR_STATUS = 403;

type Setting = "default" | "dryRun" | "skipBodyParse";
const settingOf = (c: CorpusCase): Setting => (c.dryRun ? "dryRun" : c.skipBodyParse ? "skipBodyParse" : "default");

const servers: RunningServer[] = [];
const clients = new Map<Setting, CheckClient>();
const meshwardAnswers = new Map<string, Answer>();

beforeAll(async () => {
  const policies = [...new Set(CORPUS.map((c) => c.policy))];
  const bundle = buildBundle("test/compat/corpus/policies", { entrypoints: policies.map(entrypointOf) });
  const logger = pino({ level: "silent" });
  for (const setting of ["default", "dryRun", "skipBodyParse"] as const) {
    const config = defaultConfig(repoRoot);
    config.grpc.port = 0;
    config.http.enabled = false;
    config.bundle.source = bundle;
    config.identity.spiffe.enabled = false;
    config.logging.decisions.enabled = false;
    config.check.errorStatus = ERROR_STATUS;
    config.check.timeoutMs = 10_000;
    config.policy.dryRun = setting === "dryRun";
    config.policy.skipBodyParse = setting === "skipBodyParse";
    // opa-envoy's body depth limit (Go's), which Meshward lowers by default (README, resource bounds).
    config.policy.maxBodyDepth = 10_000;
    const server = await startAuthzServer(config, { logger });
    servers.push(server);
    clients.set(setting, checkClient(`127.0.0.1:${server.grpcPort}`));
  }
  const pending = [...recorded.cases];
  const worker = async () => {
    for (let c = pending.shift(); c !== undefined; c = pending.shift()) {
      const answer = await (clients.get(settingOf(c)) as CheckClient).check(c.request);
      // Compared as recorded: through JSON, as the fixture went (-0 is 0 there).
      meshwardAnswers.set(c.id, JSON.parse(JSON.stringify(answer)) as Answer);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}, 120_000);

afterAll(async () => {
  for (const client of clients.values()) client.close();
  await Promise.all(servers.map((s) => s.close()));
});

function documentedLineExists(documented: Documented): boolean {
  return readFileSync(join(repoRoot, documented.file), "utf8").includes(documented.text);
}

describe("opa-envoy-plugin corpus replayed through Meshward", () => {
  it("is a recording of the current cases, made with a named opa-envoy-plugin build", () => {
    expect(recorded.peer.name).toBe("opa-envoy-plugin");
    expect(recorded.peer.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(recorded.peer.version).not.toBe("");
    expect(recorded.cases.length).toBeGreaterThanOrEqual(300);
    const stale = CORPUS.filter((c) => {
      const r = recorded.cases.find((x) => x.id === c.id);
      return !r || !isDeepStrictEqual({ ...r, answer: undefined }, { ...c, answer: undefined });
    }).map((c) => c.id);
    const removed = recorded.cases.filter((r) => !CORPUS.some((c) => c.id === r.id)).map((r) => r.id);
    expect({ stale, removed }, "re-record: npm run compat:record -- --peer <binary>").toEqual({
      stale: [],
      removed: [],
    });
  });

  it("lists each equivalence rule once, each documented", () => {
    expect(allowlist.rules.map((r) => r.id).sort()).toEqual([...EQUIVALENCE_RULES].sort());
    for (const rule of allowlist.rules) expect(documentedLineExists(rule.documented), rule.id).toBe(true);
  });

  it("answers every case as opa-envoy-plugin does, except the listed and documented differences", () => {
    const listed = new Map(allowlist.differences.map((d) => [d.case, d]));
    const unexpected: { case: string; peer: Outcome; meshward: Outcome; listedAs?: Outcome }[] = [];
    const noLongerDifferent: string[] = [];
    for (const c of recorded.cases) {
      const peer = peerOutcome(c.answer);
      const meshward = meshwardOutcome(meshwardAnswers.get(c.id) as Answer, ERROR_STATUS);
      const entry = listed.get(c.id);
      if (isDeepStrictEqual(peer, meshward)) {
        if (entry) noLongerDifferent.push(c.id);
      } else if (!entry || !isDeepStrictEqual(entry.meshward, meshward)) {
        unexpected.push({ case: c.id, peer, meshward, ...(entry ? { listedAs: entry.meshward } : {}) });
      }
    }
    if (process.env.MW_COMPAT_DUMP) writeFileSync(process.env.MW_COMPAT_DUMP, JSON.stringify(unexpected, null, 2));
    expect(unexpected).toEqual([]);
    expect(noLongerDifferent).toEqual([]);
    const unknown = allowlist.differences
      .filter((d) => !recorded.cases.some((c) => c.id === d.case))
      .map((d) => d.case);
    expect(unknown).toEqual([]);
    for (const d of allowlist.differences) expect(documentedLineExists(d.documented), d.case).toBe(true);
  });
});
