// The Check use case, independent of transport: CheckRequest → policy input → decision →
// CheckResponse. Every failure becomes a coded deny; nothing here can allow by accident.
import { randomUUID } from "node:crypto";
import { ErrorCodes, errorCodeOf, MeshwardError } from "./errors.ts";
import type { CheckRequest, CheckResponse } from "./gen/envoy/service/auth/v3/external_auth_pb.ts";
import type { ActivePolicy } from "./policy/active-policy.ts";
import { type PolicyInput, toPolicyInput } from "./translate/input.ts";
import { errorResponse, toCheckResponse, toDecision } from "./translate/response.ts";

export interface CheckServiceOptions {
  /** Rego rule evaluated when a route names none (opa-envoy's default `envoy/authz/allow`). */
  defaultEntrypoint: string;
  /** HTTP status of the deny sent when the check itself fails. */
  errorStatus: number;
}

export interface CheckOutcome {
  response: CheckResponse;
  decisionId: string;
  allowed: boolean;
  /** Error code when the check failed rather than being decided by the policy. */
  errorCode?: string;
}

export class CheckService {
  constructor(
    private readonly policy: ActivePolicy,
    private readonly options: CheckServiceOptions,
    private readonly newDecisionId: () => string = randomUUID,
  ) {}

  check(request: CheckRequest): CheckOutcome {
    const decisionId = this.newDecisionId();
    try {
      const evaluator = this.policy.evaluator;
      if (!evaluator) throw new MeshwardError(ErrorCodes.noBundle, "no policy bundle is active");
      let input: PolicyInput;
      try {
        input = toPolicyInput(request);
      } catch (err) {
        throw new MeshwardError(ErrorCodes.requestParse, (err as Error).message, { cause: err });
      }
      const result = evaluator.evaluate(input, this.options.defaultEntrypoint);
      if (result === undefined) throw new MeshwardError(ErrorCodes.policyUndefined, "policy decision is undefined");
      const decision = toDecision(result);
      return { response: toCheckResponse(decision, decisionId), decisionId, allowed: decision.allowed };
    } catch (err) {
      const code = errorCodeOf(err);
      return {
        response: errorResponse(code, this.options.errorStatus, decisionId),
        decisionId,
        allowed: false,
        errorCode: code,
      };
    }
  }
}
