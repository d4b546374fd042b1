// The rate-limit rules file (or a directory of them: a mounted ConfigMap with one key per domain),
// read at start and re-read every `pollIntervalMs`. A changed file set is parsed, validated and
// compiled completely before one reference swap; on any failure the last good rules keep serving,
// and the status, the `onResult` hook (metric, log) and `/status` say why. Polling the content
// (not watching) also follows Kubernetes' atomic symlink swap of ConfigMap volumes.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { type CompiledDomain, compileDomain } from "./rules.ts";
import { parseDomains } from "./rules-schema.ts";

export type RulesLoad =
  | { result: "ok" | "unchanged"; domains: number; rules: number }
  | { result: "error"; message: string };

export interface RulesStatus {
  source: string;
  /** sha256 of the active file set (names and contents), first 16 hex digits. */
  revision?: string;
  domains: string[];
  loadedAtMs?: number;
  lastError?: string;
}

const RULES_FILE = /\.(ya?ml|json)$/;

/** The files of a source: the file itself, or a directory's rules files in name order (dotfiles
 *  skipped: a ConfigMap volume's `..data` links). */
export function rulesFiles(source: string): string[] {
  if (!statSync(source).isDirectory()) return [source];
  return readdirSync(source)
    .filter((name) => !name.startsWith(".") && RULES_FILE.test(name))
    .sort()
    .map((name) => join(source, name));
}

/** Parses and compiles a file set; throws MW_RL_RULES_INVALID naming the file and field. */
export function compileRules(files: readonly { path: string; text: string }[]): Map<string, CompiledDomain> {
  const documents: { raw: unknown; path: string }[] = [];
  for (const { path, text } of files) {
    const docs = parseAllDocuments(text, { uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      if (doc.errors.length > 0)
        throw new MeshwardError(ErrorCodes.rateLimitRulesInvalid, `${path}: ${doc.errors[0]?.message}`);
      const raw = doc.toJS();
      if (raw === null || raw === undefined) return; // an empty document (a trailing ---)
      documents.push({ raw, path: list.length > 1 ? `${path}#${i}` : path });
    });
  }
  if (documents.length === 0) throw new MeshwardError(ErrorCodes.rateLimitRulesInvalid, "no rate-limit domain defined");
  try {
    const out = new Map<string, CompiledDomain>();
    for (const [name, spec] of parseDomains(documents)) out.set(name, compileDomain(spec));
    return out;
  } catch (err) {
    throw new MeshwardError(ErrorCodes.rateLimitRulesInvalid, (err as Error).message, { cause: err });
  }
}

export class RulesSource {
  private active: ReadonlyMap<string, CompiledDomain> = new Map();
  private digest: string | undefined;
  private loadedAtMs: number | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly source: string,
    private readonly options: {
      pollIntervalMs: number;
      onResult?: (load: RulesLoad) => void;
      /** After a swap: the new rules (to drop state of rules that are gone). */
      onSwap?: (domains: ReadonlyMap<string, CompiledDomain>) => void;
      nowMs?: () => number;
    },
  ) {}

  /** The active rules; a reload replaces the whole map, never edits it. */
  get domains(): ReadonlyMap<string, CompiledDomain> {
    return this.active;
  }

  status(): RulesStatus {
    const status: RulesStatus = { source: this.source, domains: [...this.active.keys()] };
    if (this.digest) status.revision = this.digest.slice(0, 16);
    if (this.loadedAtMs !== undefined) status.loadedAtMs = this.loadedAtMs;
    if (this.lastError) status.lastError = this.lastError;
    return status;
  }

  /** One read; keeps the active rules on any failure. */
  load(): RulesLoad {
    let outcome: RulesLoad;
    try {
      const files = rulesFiles(this.source).map((path) => ({ path, text: readFileSync(path, "utf8") }));
      const hash = createHash("sha256");
      for (const f of files) hash.update(`${f.path}\u0000${f.text}\u0000`);
      const digest = hash.digest("hex");
      if (digest === this.digest) {
        outcome = { result: "unchanged", domains: this.active.size, rules: ruleCount(this.active) };
      } else {
        const compiled = compileRules(files);
        this.active = compiled;
        this.digest = digest;
        this.loadedAtMs = (this.options.nowMs ?? Date.now)();
        this.lastError = undefined;
        this.options.onSwap?.(compiled);
        outcome = { result: "ok", domains: compiled.size, rules: ruleCount(compiled) };
      }
    } catch (err) {
      this.lastError = (err as Error).message;
      outcome = { result: "error", message: this.lastError };
    }
    this.options.onResult?.(outcome);
    return outcome;
  }

  start(): void {
    if (this.options.pollIntervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.load(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function ruleCount(domains: ReadonlyMap<string, CompiledDomain>): number {
  let n = 0;
  for (const d of domains.values()) n += d.rules.length;
  return n;
}
