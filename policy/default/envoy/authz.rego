# Meshward's built-in default policy (the foundation's): allow GET requests under /public/,
# deny everything else. Written in opa-envoy-plugin's style so it runs there unchanged.
#
# Defence in depth: Meshward's Envoy configs normalise paths before this runs, but the server may sit
# behind an Envoy configured by someone else. A path that some upstream could resolve differently
# from its text is therefore never allowed (`path_is_ambiguous`, on the percent-decoded
# `parsed_path`): dot segments (also with `;` parameters, `..;`), empty segments other than a
# trailing slash, encoded slashes or backslashes, NUL, bytes that are not UTF-8 (overlong `%c0%ae`
# decodes to U+FFFD) and escapes left after decoding (double encoding, `%252e`).
package envoy.authz

import rego.v1

default allow := false

allow if {
	input.attributes.request.http.method == "GET"
	input.parsed_path[0] == "public"
	count(input.parsed_path) > 1
	not path_is_ambiguous
}

path_is_ambiguous if {
	some segment in input.parsed_path
	split(segment, ";")[0] in {".", ".."}
}

path_is_ambiguous if {
	some i, segment in input.parsed_path
	segment == ""
	i < count(input.parsed_path) - 1
}

path_is_ambiguous if {
	some segment in input.parsed_path
	may_need_regex(segment)
	regex.match(`[/\\\x00\x{FFFD}]|%[0-9A-Fa-f]{2}|%[uU]`, segment)
}

# The pattern above cannot match a segment without one of these characters. Checking them first
# keeps a plain path from reaching regex.match, which compiles its pattern again in every Wasm
# evaluation (the module's regex cache lives on the heap that is reset after each decision).
may_need_regex(segment) if {
	some c in {"/", "\\", "\u0000", "\ufffd", "%"}
	contains(segment, c)
}
