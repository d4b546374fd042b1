// Records opa-envoy-plugin's answers to the compatibility corpus (test/compat/corpus/cases.ts) into
// test/compat/fixtures/recorded.json, which test/compat/corpus.test.ts replays through Meshward.
// Not run by CI: it needs an opa-envoy-plugin binary, built by you from its source:
//   npm run compat:record -- --peer /path/to/opa-envoy-plugin [--peer-src /path/to/its/git/checkout]
// The peer runs on loopback only, once per (policy, dry-run, skip-body-parse) group, with the
// corpus policies as plain .rego files, decision logs off and no bundles or discovery.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { Answer } from "../../test/compat/answer.ts";
import { checkClient } from "../../test/compat/check-client.ts";
import { CORPUS, type CorpusCase, entrypointOf } from "../../test/compat/corpus/cases.ts";
import { FIXTURE_PATH, type RecordedCorpus } from "../../test/compat/fixture.ts";
import { type ManagedProcess, startProcess } from "../lib/processes.ts";
import { freePort } from "../lib/redis.ts";
import { repoRoot } from "../lib/tools.ts";

const { values: args } = parseArgs({
  options: {
    peer: { type: "string" },
    "peer-src": { type: "string" },
    only: { type: "string" },
  },
});
if (!args.peer) {
  console.error("usage: npm run compat:record -- --peer <opa-envoy-plugin binary> [--peer-src <its git checkout>]");
  process.exit(2);
}
const peerBinary = args.peer;

function peerIdentity(): RecordedCorpus["peer"] {
  const version = execFileSync(peerBinary, ["version"], { encoding: "utf8" });
  const opaVersion = /^Version: (.+)$/m.exec(version)?.[1]?.trim() ?? "unknown";
  const git = (...gitArgs: string[]) =>
    args["peer-src"] ? execFileSync("git", ["-C", args["peer-src"], ...gitArgs], { encoding: "utf8" }).trim() : "";
  return {
    name: "opa-envoy-plugin",
    version: git("describe", "--tags", "--always") || `opa ${opaVersion}`,
    commit: git("rev-parse", "HEAD") || "unknown",
    opaVersion,
    binary: basename(peerBinary),
  };
}

interface Group {
  policy: string;
  dryRun: boolean;
  skipBodyParse: boolean;
  cases: CorpusCase[];
}

function groupsOf(cases: readonly CorpusCase[]): Group[] {
  const groups = new Map<string, Group>();
  for (const c of cases) {
    const key = `${c.policy}|${c.dryRun === true}|${c.skipBodyParse === true}`;
    let group = groups.get(key);
    if (!group) {
      group = { policy: c.policy, dryRun: c.dryRun === true, skipBodyParse: c.skipBodyParse === true, cases: [] };
      groups.set(key, group);
    }
    group.cases.push(c);
  }
  return [...groups.values()];
}

async function startPeer(work: string, group: Group): Promise<{ peer: ManagedProcess; grpcPort: number }> {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const config = join(work, "config.yaml");
  writeFileSync(
    config,
    [
      "plugins:",
      "  envoy_ext_authz_grpc:",
      `    addr: 127.0.0.1:${grpcPort}`,
      `    path: ${entrypointOf(group.policy)}`,
      `    dry-run: ${group.dryRun}`,
      `    skip-request-body-parse: ${group.skipBodyParse}`,
      "decision_logs:",
      "  console: false",
      "",
    ].join("\n"),
  );
  const peer = startProcess("opa-envoy-plugin", peerBinary, [
    "run",
    "--server",
    "--disable-telemetry",
    "--addr",
    `127.0.0.1:${httpPort}`,
    "--config-file",
    config,
    join(work, "policies"),
  ]);
  await peer.waitForLine(/Starting gRPC server/, 30_000);
  return { peer, grpcPort };
}

async function recordGroup(work: string, group: Group): Promise<Map<string, Answer>> {
  const { peer, grpcPort } = await startPeer(work, group);
  const client = checkClient(`127.0.0.1:${grpcPort}`);
  const answers = new Map<string, Answer>();
  try {
    for (const c of group.cases) {
      let answer: Answer | undefined;
      for (let attempt = 0; answer === undefined; attempt++) {
        try {
          answer = await client.check(c.request);
        } catch (err) {
          if (attempt >= 20) throw err; // the listener may need a moment after its log line
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      answers.set(c.id, answer);
    }
  } finally {
    client.close();
    await peer.stop();
  }
  return answers;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "mw-compat-record-"));
  try {
    const policies = join(work, "policies");
    mkdirSync(policies);
    const source = join(repoRoot, "test/compat/corpus/policies");
    for (const file of readdirSync(source))
      if (file.endsWith(".rego")) copyFileSync(join(source, file), join(policies, file));
    const selected = args.only ? CORPUS.filter((c) => c.id.startsWith(args.only as string)) : CORPUS;
    const answers = new Map<string, Answer>();
    for (const group of groupsOf(selected)) {
      const label = `${group.policy}${group.dryRun ? " (dry-run)" : ""}${group.skipBodyParse ? " (skip body)" : ""}`;
      process.stderr.write(`recording ${group.cases.length} cases: ${label}\n`);
      for (const [id, answer] of await recordGroup(work, group)) answers.set(id, answer);
    }
    const recorded: RecordedCorpus = {
      peer: peerIdentity(),
      recordedWith: "npm run compat:record -- --peer <binary> --peer-src <checkout>",
      cases: selected.map((c) => ({ ...c, answer: answers.get(c.id) as Answer })),
    };
    writeFileSync(join(repoRoot, FIXTURE_PATH), `${JSON.stringify(recorded, null, 1)}\n`);
    process.stderr.write(`wrote ${recorded.cases.length} cases to ${FIXTURE_PATH}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
