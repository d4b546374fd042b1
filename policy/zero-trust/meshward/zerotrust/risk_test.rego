package meshward.zerotrust_test

import rego.v1

import data.meshward.zerotrust

test_medium_risk_adds_reason_headers if {
	req := object.union(
		user("GET", "/api/orders", customer, "medium"),
		{"meshward": {"risk": {"score": 55, "level": "medium", "reasons": [
			{"signal": "new_device", "contribution": 20, "detail": "first seen"},
			{"signal": "geo_velocity", "contribution": 35, "detail": "900 km/h"},
		]}}},
	)
	d := zerotrust.decision with input as req
	d.allowed
	d.headers["x-meshward-risk-reasons"] == "geo_velocity,new_device"
	d.response_headers_to_add == {"x-meshward-risk-action": "allow_with_headers"}
}

test_medium_risk_without_reasons_says_none if {
	d := zerotrust.decision with input as user("GET", "/api/orders", customer, "medium")
	d.headers["x-meshward-risk-reasons"] == "none"
}

test_high_risk_user_must_step_up if {
	d := zerotrust.decision with input as user("GET", "/api/orders", customer, "high")
	not d.allowed
	d.http_status == 401
	d.headers["x-meshward-reason"] == "step_up_required"
	contains(d.headers["www-authenticate"], `error="insufficient_user_authentication"`)
}

test_high_risk_user_with_mfa_passes_with_headers if {
	claims := object.union(customer, {"amr": ["mfa"]})
	d := zerotrust.decision with input as user("GET", "/api/orders", claims, "high")
	d.allowed
	d.dynamic_metadata.action == "allow_with_headers"
}

test_critical_risk_denies_everyone if {
	every req in [
		user("GET", "/api/orders", customer, "critical"),
		service("GET", "/api/orders", "spiffe://cluster.local/ns/shop/sa/frontend", "critical"),
		anonymous("GET", "/public/x", "critical"),
		device("POST", "/iot/telemetry", {}, "critical"),
	] {
		d := zerotrust.decision with input as req
		d.http_status == 403
		d.headers["x-meshward-reason"] == "risk_too_high"
	}
}

test_unknown_risk_level_fails_closed if {
	d := zerotrust.decision with input as user("GET", "/api/orders", customer, "extreme")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "risk_too_high"
}

test_anonymous_high_risk_is_throttled_and_step_up_asks_to_log_in if {
	d := zerotrust.decision with input as anonymous("GET", "/public/a", "high")
	d.allowed
	d.headers["x-meshward-action"] == "throttle"

	step_up_everywhere := {"low": "step_up", "medium": "step_up", "high": "step_up", "critical": "deny"}
	e := zerotrust.decision with input as anonymous("GET", "/public/a", "low")
		with data.meshward.config.risk.actions.anonymous as step_up_everywhere
	e.http_status == 401
	e.headers["www-authenticate"] == `Bearer realm="meshward"`
}

test_path_tricks_are_refused if {
	every path in ["/public/../admin", "/public/./x", "/public/a%2Fb"] {
		req := object.union(anonymous("GET", path, "low"), {"parsed_path": ["public", seg(path)]})
		d := zerotrust.decision with input as req
		d.http_status == 400
		d.headers["x-meshward-reason"] == "path_not_normalized"
	}
	backslash := object.union(anonymous("GET", "/public/a%5Cb", "low"), {"parsed_path": ["public", "a\\b"]})
	b := zerotrust.decision with input as backslash
	b.http_status == 400
}

test_ambiguous_decoded_segments_are_refused if {
	every segments in [
		["public", "a\\b"],
		["public", "..;", "admin"],
		["public", "", "..", "admin"],
		["public", "x\u0000"],
		["public", "\ufffd\ufffd", "admin"],
		["public", "%2e%2e", "admin"],
		["public", "%u002e"],
	] {
		req := object.union(anonymous("GET", "/public/x", "low"), {"parsed_path": segments})
		d := zerotrust.decision with input as req
		d.http_status == 400
		d.headers["x-meshward-reason"] == "path_not_normalized"
	}
}

test_trailing_slash_and_parameters_are_fine if {
	every segments in [["public", "x", ""], ["public", "a;v=1"], ["public", "..."]] {
		req := object.union(anonymous("GET", "/public/x", "low"), {"parsed_path": segments})
		d := zerotrust.decision with input as req
		d.allowed == true
	}
}

# The decoded last segment, as the authz server's parsePath would produce it.
seg("/public/../admin") := ".."

seg("/public/./x") := "."

seg("/public/a%2Fb") := "a/b"
