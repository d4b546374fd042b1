# Meshward's built-in default policy (the foundation's): allow GET requests under /public/,
# deny everything else. Written in opa-envoy-plugin's style so it runs there unchanged.
package envoy.authz

import rego.v1

default allow := false

allow if {
	input.attributes.request.http.method == "GET"
	input.parsed_path[0] == "public"
	count(input.parsed_path) > 1
}
