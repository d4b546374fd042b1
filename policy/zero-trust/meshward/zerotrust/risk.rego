# Risk level → graded action, per principal type (`risk.actions` in data.json):
#   allow               plain allow
#   allow_with_headers  allow; the upstream also gets the risk signals (x-meshward-risk-reasons)
#   throttle            allow with x-meshward-risk-level and x-meshward-action: throttle, which the
#                       traffic-shaper filter's priority classes read to shed this request first
#   step_up             401 with a WWW-Authenticate challenge asking for a stronger login
#                       (RFC 9470); a login that is already high assurance passes with headers
#   deny                403
# A missing risk document uses `risk.default_level`; an unknown level or action denies.
package meshward.zerotrust

import rego.v1

known_actions := {"allow", "allow_with_headers", "throttle", "step_up", "deny"}

risk_level := level if {
	level := input.meshward.risk.level
	is_string(level)
} else := cfg.risk.default_level

# The signals that contributed, sorted so headers and logs are stable.
risk_signals := sort({reason.signal | some reason in input.meshward.risk.reasons; is_string(reason.signal)})

default risk_action := "deny"

risk_action := action if {
	action := cfg.risk.actions[principal_type][risk_level]
	action in known_actions
}

effective_action := "allow_with_headers" if {
	risk_action == "step_up"
	high_assurance
} else := risk_action
