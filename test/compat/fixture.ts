// The recorded corpus: every case's request and opa-envoy-plugin's answer to it, with the peer's
// identity. Written by scripts/compat/record-peer-corpus.ts, read by test/compat/corpus.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/tools.ts";
import type { Answer } from "./answer.ts";
import type { CorpusCase } from "./corpus/cases.ts";

export const FIXTURE_PATH = "test/compat/fixtures/recorded.json";

export interface RecordedCorpus {
  peer: { name: string; version: string; commit: string; opaVersion: string; binary: string };
  recordedWith: string;
  cases: (CorpusCase & { answer: Answer })[];
}

export function readRecordedCorpus(): RecordedCorpus {
  return JSON.parse(readFileSync(join(repoRoot, FIXTURE_PATH), "utf8")) as RecordedCorpus;
}
