package meshward.zerotrust_test

import rego.v1

import data.meshward.zerotrust

test_customer_reads_own_orders if {
	d := zerotrust.decision with input as user("GET", "/api/orders/7?expand=items", customer, "low")
	d.allowed
	d.headers["x-meshward-route"] == "orders-read"
	d.headers["x-meshward-principal-type"] == "user"
	d.response_headers_to_add == {}
	d.dynamic_metadata == {
		"policy": "zero-trust", "principal_type": "user", "risk_level": "low",
		"route": "orders-read", "action": "allow",
	}
}

test_allow_entrypoint_mirrors_decision if {
	zerotrust.allow with input as user("GET", "/api/orders", customer, "low")
	not zerotrust.allow with input as user("DELETE", "/api/orders/7", customer, "low")
}

test_scope_as_array_claim if {
	claims := {"roles": ["support"], "scp": ["orders:read"]}
	zerotrust.allow with input as user("GET", "/api/orders/1", claims, "low")
}

test_roles_from_groups_claim if {
	claims := {"groups": ["customer"], "scope": "orders:write"}
	zerotrust.allow with input as user("POST", "/api/orders", claims, "low")
}

test_missing_scope_is_forbidden if {
	d := zerotrust.decision with input as user("POST", "/api/orders", {"roles": ["customer"], "scope": "orders:read"}, "low")
	not d.allowed
	d.http_status == 403
	d.headers["x-meshward-reason"] == "insufficient_scope"
	d.body == `{"error":"insufficient_scope"}`
	d.dynamic_metadata.reason == "insufficient_scope"
}

test_missing_role_is_forbidden if {
	d := zerotrust.decision with input as user("POST", "/api/orders", {"roles": ["support"], "scope": "orders:write"}, "low")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "insufficient_role"
}

test_unknown_route_is_denied_by_default if {
	d := zerotrust.decision with input as user("GET", "/internal/secrets", customer, "low")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "route_not_allowed"
}

test_wrong_method_is_denied if {
	d := zerotrust.decision with input as user("DELETE", "/api/orders/7", customer, "low")
	d.headers["x-meshward-reason"] == "route_not_allowed"
}

test_single_star_is_one_segment if {
	d := zerotrust.decision with input as user("GET", "/api/orders/7/items", customer, "low")
	d.headers["x-meshward-reason"] == "route_not_allowed"
}

test_unverified_claims_are_ignored if {
	unverified := object.union(user_identity(customer), {"authenticated": false})
	d := zerotrust.decision with input as with_meshward(request("GET", "/api/orders"), unverified, risk("low"))
	d.http_status == 401
	d.dynamic_metadata.principal_type == "anonymous"
}

test_admin_with_mfa_acr_allowed if {
	d := zerotrust.decision with input as user("DELETE", "/admin/users/9", admin_mfa, "low")
	d.allowed
	d.headers["x-meshward-route"] == "admin"
}

test_admin_with_mfa_amr_allowed if {
	zerotrust.allow with input as user("GET", "/admin", {"roles": ["admin"], "amr": ["pwd", "otp"]}, "low")
}

test_admin_with_password_only_needs_step_up if {
	d := zerotrust.decision with input as user("GET", "/admin/users", admin_password, "low")
	not d.allowed
	d.http_status == 401
	d.headers["x-meshward-reason"] == "insufficient_assurance"
	d.headers["www-authenticate"] == concat("", [
		`Bearer realm="meshward", error="insufficient_user_authentication", `,
		`error_description="insufficient_assurance", acr_values="urn:meshward:acr:mfa"`,
	])
}

test_admin_path_needs_admin_role if {
	d := zerotrust.decision with input as user("GET", "/admin", {"roles": ["customer"], "acr": "urn:meshward:acr:mfa"}, "low")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "insufficient_role"
}

test_anonymous_public_allowed if {
	d := zerotrust.decision with input as anonymous("GET", "/public/logo.svg", "low")
	d.allowed
	d.headers["x-meshward-route"] == "public"
	d.headers["x-meshward-principal-type"] == "anonymous"
}

test_anonymous_protected_gets_bearer_challenge if {
	d := zerotrust.decision with input as anonymous("GET", "/api/orders", "low")
	d.http_status == 401
	d.headers["www-authenticate"] == `Bearer realm="meshward"`
	d.headers["x-meshward-reason"] == "authentication_required"
	d.headers["content-type"] == "application/json"
}

test_user_may_use_public_routes if {
	d := zerotrust.decision with input as user("GET", "/healthz", {}, "low")
	d.allowed
	d.headers["x-meshward-route"] == "public"
}
