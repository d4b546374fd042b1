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

test_ambiguous_paths_denied if {
	every segments in [
		["public", "..", "private"],
		["public", ".", "x"],
		["public", "..;", "private"],
		["public", ".;a=b", "x"],
		["public", "", "..", "private"],
		["public", "", "x"],
		["public", "a/b"],
		["public", "a\\b"],
		["public", "x\u0000"],
		["public", "\ufffd\ufffd"],
		["public", "%2e%2e", "private"],
		["public", "%u002e"],
	] {
		not authz.allow with input as request("GET", "/public/x", segments)
	}
}

test_ordinary_paths_allowed if {
	every segments in [
		["public", "hello"],
		["public", "a", "b", ""],
		["public", "100%", "done"],
		["public", "...", "x"],
		["public", ".well-known"],
		["public", "a;b=c"],
	] {
		authz.allow with input as request("GET", "/public/x", segments)
	}
}
