# Meshward zero-trust policy. Entrypoints:
#   meshward/zerotrust/decision  object in opa-envoy-plugin's result shape
#   meshward/zerotrust/allow     the same decision as a boolean
# Deny by default: a request passes only when a rule for its principal type grants it (access), its
# path is unambiguous, and the risk action allows it. Guide: policy/README.md.
package meshward.zerotrust

import rego.v1

granted(route_ids) := {"granted": true, "route": sort(route_ids)[0]}

refused(status, reason) := {"granted": false, "status": status, "reason": reason}

access := device_access if principal_type == "device"

else := user_access if principal_type == "user"

else := service_access if principal_type == "service"

else := anonymous_access

step_up_reason := "authentication_required" if principal_type == "anonymous"

else := "step_up_required"

# First failing check wins; a grant carries the matched route id and the risk action.
verdict := refused(400, "path_not_normalized") if path_violation

else := access if access.granted == false

else := refused(403, "risk_too_high") if effective_action == "deny"

else := refused(401, step_up_reason) if effective_action == "step_up"

else := {"granted": true, "route": access.route, "action": effective_action}

# WWW-Authenticate for 401s: a plain Bearer challenge (RFC 6750 §3) when no identity was given,
# RFC 9470's insufficient_user_authentication with the acr to reach when the login is too weak.
challenge("authentication_required") := sprintf(`Bearer realm="%s"`, [cfg.realm])

challenge(reason) := sprintf(
	`Bearer realm="%s", error="insufficient_user_authentication", error_description="%s", acr_values="%s"`,
	[cfg.realm, reason, cfg.assurance.step_up_acr],
) if reason != "authentication_required"

action_headers("allow") := {}

action_headers("allow_with_headers") := {"x-meshward-risk-reasons": reasons} if {
	reasons := concat(",", risk_signals)
	reasons != ""
} else := {"x-meshward-risk-reasons": "none"}

action_headers("throttle") := {"x-meshward-risk-level": risk_level, "x-meshward-action": "throttle"}

metadata := object.union(
	{"policy": "zero-trust", "principal_type": principal_type, "risk_level": risk_level},
	metadata_detail,
)

metadata_detail := {"route": verdict.route, "action": verdict.action} if verdict.granted

else := {"reason": verdict.reason, "posture_failures": sort(posture_failures)} if verdict.reason == "device_posture"

else := {"reason": verdict.reason}

deny_headers := {
	"content-type": "application/json",
	"x-meshward-reason": verdict.reason,
	"www-authenticate": challenge(verdict.reason),
} if verdict.status == 401

else := {"content-type": "application/json", "x-meshward-reason": verdict.reason}

# The body has one key on purpose: json.marshal orders keys differently in OPA's Go evaluator
# (sorted) and its Wasm compiler, and the bundle must answer the same under both.
decision := {
	"allowed": true,
	"headers": object.union(
		{"x-meshward-policy": "zero-trust", "x-meshward-route": verdict.route, "x-meshward-principal-type": principal_type},
		action_headers(verdict.action),
	),
	"response_headers_to_add": response_headers(verdict.action),
	"dynamic_metadata": metadata,
} if verdict.granted

else := {
	"allowed": false,
	"http_status": verdict.status,
	"headers": deny_headers,
	"body": json.marshal({"error": verdict.reason}),
	"dynamic_metadata": metadata,
}

response_headers("allow") := {}

response_headers(action) := {"x-meshward-risk-action": action} if action != "allow"

allow := decision.allowed
