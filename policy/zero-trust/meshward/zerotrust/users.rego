# User and anonymous access: the method × path table `routes` in data.json, checked against the
# JWT's roles and scopes. A route grants access when the caller has ANY of its `roles` (if any are
# listed) and ALL of its `scopes`; `anonymous: true` opens it to everyone; `assurance: "high"`
# additionally needs a high-assurance login, else the answer is a step-up challenge.
package meshward.zerotrust

import rego.v1

route_candidates contains route if {
	some route in cfg.routes
	rule_matches(route)
}

public_route contains route.id if {
	some route in route_candidates
	route.anonymous == true
}

role_ok(route) if count(object.get(route, "roles", [])) == 0

role_ok(route) if {
	some role in route.roles
	role in roles
}

scope_ok(route) if {
	every scope in object.get(route, "scopes", []) {
		scope in scopes
	}
}

assurance_ok(route) if object.get(route, "assurance", "standard") != "high"

assurance_ok(_) if high_assurance

# Routes whose role and scope conditions the caller meets (assurance aside).
user_entitled contains route if {
	some route in route_candidates
	role_ok(route)
	scope_ok(route)
}

user_granted contains route.id if {
	some route in user_entitled
	assurance_ok(route)
}

# First matching case wins; every branch is an `access` object (see main.rego).
user_access := granted(public_route) if count(public_route) > 0

else := granted(user_granted) if count(user_granted) > 0

else := refused(401, "insufficient_assurance") if count(user_entitled) > 0

else := refused(403, "route_not_allowed") if count(route_candidates) == 0

else := refused(403, "insufficient_role") if not any_role_ok

else := refused(403, "insufficient_scope")

any_role_ok if {
	some route in route_candidates
	role_ok(route)
}

# Anonymous callers reach public routes only; anything else asks them to authenticate.
anonymous_access := granted(public_route) if count(public_route) > 0

else := refused(401, "authentication_required")
