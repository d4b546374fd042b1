// The extension point through which Meshward adds its own facts to the policy input: each
// InputEnricher runs once per check, in order, after the CheckRequest was translated and before the
// policy runs. It writes under `input.meshward.<its key>` (identity → `identity`, the risk engine →
// `risk`) and may contribute upstream request headers, which are sent only if the policy allows.
// Headers an enricher *owns* are always removed from the client's request unless the enricher set
// them, so a client cannot forge `x-meshward-subject` and the like.
import type { JsonObject } from "@bufbuild/protobuf";
import type { CheckRequest } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import type { HeaderPair } from "../translate/decision.ts";
import type { PolicyInput } from "../translate/input.ts";
import type { CheckObserver } from "./check-record.ts";

export interface EnrichContext {
  readonly request: CheckRequest;
  /** The opa-envoy-shaped input; read it, do not modify fields outside `meshward`. */
  readonly input: Readonly<PolicyInput>;
  /** `input.meshward`: each enricher adds its own key. */
  readonly meshward: Record<string, unknown>;
  /** Wall clock for this check, ms since the epoch (one value for the whole check). */
  readonly nowMs: number;
  /** Aborted when the check's deadline passes; enrichers doing I/O should honour it. */
  readonly signal: AbortSignal;
}

export interface Enrichment {
  /** Added to (replacing any client value of) the upstream request when the policy allows. */
  upstreamHeaders?: HeaderPair[];
  /** Added to the CheckResponse's dynamic metadata (allow and deny); the policy's own keys win. */
  dynamicMetadata?: JsonObject;
  /** Called once with the finished check's record, beside the observers: how an enricher hears the
   *  outcome of the check it enriched, with whatever it learnt while enriching in the closure. */
  onFinish?: CheckObserver;
}

export interface InputEnricher {
  readonly name: string;
  /** Lower-case header names this enricher alone may set upstream. */
  readonly ownedHeaders: readonly string[];
  enrich(context: EnrichContext): Enrichment | undefined | Promise<Enrichment | undefined>;
}
