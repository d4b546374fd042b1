// Holds the active policy. Activation is one reference swap: a check in flight keeps the evaluator
// it started with, and a bundle that fails to load never replaces the last good one.
import { readFile } from "node:fs/promises";
import { parseBundle } from "./bundle.ts";
import { createEvaluator, type EvaluatorOptions, type PolicyEvaluator } from "./evaluator.ts";

export interface BundleStatus {
  active: boolean;
  revision?: string;
  source?: string;
  lastError?: string;
  activatedAt?: string;
}

export class ActivePolicy {
  private current: PolicyEvaluator | undefined;
  private status: BundleStatus = { active: false };

  constructor(private readonly evaluatorOptions: EvaluatorOptions = {}) {}

  get evaluator(): PolicyEvaluator | undefined {
    return this.current;
  }

  get bundleStatus(): BundleStatus {
    return { ...this.status };
  }

  /** Loads, checks and activates a bundle; on failure keeps the previous one and rethrows. */
  async activateFromBytes(archive: Uint8Array, source: string, now: Date = new Date()): Promise<PolicyEvaluator> {
    try {
      const evaluator = await createEvaluator(parseBundle(archive), this.evaluatorOptions);
      this.current = evaluator;
      this.status = { active: true, revision: evaluator.revision, source, activatedAt: now.toISOString() };
      return evaluator;
    } catch (err) {
      this.status = { ...this.status, lastError: (err as Error).message };
      throw err;
    }
  }

  async activateFromFile(path: string): Promise<PolicyEvaluator> {
    return this.activateFromBytes(new Uint8Array(await readFile(path)), path);
  }
}
