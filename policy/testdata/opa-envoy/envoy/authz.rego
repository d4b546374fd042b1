# A test policy written the way opa-envoy-plugin's README and docs write them (package envoy.authz,
# rule `allow` returning an object), exercising every input field and result field Meshward must
# honour. Built by the tests with the real OPA CLI: `opa build -t wasm -e envoy/authz/allow ...`.
package envoy.authz

import rego.v1

default allow := {
	"allowed": false,
	"http_status": 403,
	"body": "denied by opa-envoy style policy",
	"headers": {"x-denied-by": "opa-envoy-testdata"},
	"dynamic_metadata": {"denied_by": "opa-envoy-testdata"},
}

# GET /people/<name> for the named user (parsed_path), with a Bearer token whose payload names them.
allow := {
	"allowed": true,
	"headers": {"x-user": claims.sub, "x-tags": ["a", "b"]},
	"request_headers_to_remove": ["x-internal"],
	"response_headers_to_add": {"x-policy": "people"},
	"query_parameters_to_set": {"via": "opa"},
	"query_parameters_to_remove": ["debug"],
	"dynamic_metadata": {"user": claims.sub},
} if {
	input.attributes.request.http.method == "GET"
	input.parsed_path = ["people", name]
	claims.sub == name
}

# POST /orders with a JSON body whose amount is small enough.
allow := {"allowed": true, "headers": {"x-order-amount": sprintf("%v", [input.parsed_body.amount])}} if {
	input.attributes.request.http.method == "POST"
	input.parsed_path == ["orders"]
	input.truncated_body == false
	input.parsed_body.amount < 100
}

# Search with a query parameter.
allow := {"allowed": true} if {
	input.parsed_path == ["search"]
	input.parsed_query.q[0] == "envoy"
}

# mTLS peers in the `prod` namespace.
allow := {"allowed": true} if {
	startswith(input.source_principal, "spiffe://cluster.local/ns/prod/")
	input.attributes.request.http.method == "GET"
	input.parsed_path[0] == "internal"
}

# A policy that tries to inject a header with CR/LF (must be refused by the server).
allow := {"allowed": true, "headers": {"x-echo": input.parsed_query.echo[0]}} if {
	input.parsed_path == ["echo"]
}

# A boolean entrypoint for a second route (selected through context_extensions).
default admin := false

admin if {
	input.attributes.request.http.headers["x-admin"] == "yes"
	not other_team
}

# Routes may name their team in context_extensions (gRPC mode); only "ops" routes are admin routes.
other_team if input.attributes.contextExtensions.team != "ops"

# Uses the builtins the OPA Wasm SDK lacks: io.jwt.decode, time.now_ns.
claims := payload if {
	[_, encoded] := split(input.attributes.request.http.headers.authorization, " ")
	[_, payload, _] := io.jwt.decode(encoded)
	payload.exp * 1000000000 > time.now_ns()
}
