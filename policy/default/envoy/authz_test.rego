package envoy.authz_test

import rego.v1

import data.envoy.authz

request(method, path, segments) := {
	"attributes": {"request": {"http": {"method": method, "path": path}}},
	"parsed_path": segments,
}

test_get_public_allowed if {
	authz.allow with input as request("GET", "/public/hello", ["public", "hello"])
}

test_post_public_denied if {
	not authz.allow with input as request("POST", "/public/hello", ["public", "hello"])
}

test_get_private_denied if {
	not authz.allow with input as request("GET", "/private/x", ["private", "x"])
}

test_public_root_denied if {
	not authz.allow with input as request("GET", "/public", ["public"])
}
