# Uses Meshward's additions to the opa-envoy input: a verified identity is required for /api, and
# the `admin` claim for /api/admin. Build: opa build -t wasm -e meshward/authz/allow.
package meshward.authz

import rego.v1

default allow := false

identity := input.meshward.identity

allow if {
	input.parsed_path[0] == "public"
}

allow if {
	identity.authenticated
	input.parsed_path[0] == "api"
	input.parsed_path[1] != "admin"
}

allow if {
	identity.authenticated
	input.parsed_path == ["api", "admin"]
	identity.claims.admin == true
}
