# The request as the rules see it: method, path without query, and method × path matching.
package meshward.zerotrust

import rego.v1

method := input.attributes.request.http.method

# Envoy's :path includes the query string; rules match the path alone.
path := split(input.attributes.request.http.path, "?")[0]

# A path that a later hop could resolve differently from its text (parsed_path is percent-decoded):
# dot segments, also with `;` parameters (`..;`); empty segments other than a trailing slash; a
# slash, backslash or NUL hidden by percent-encoding; bytes that are not UTF-8 (overlong `%c0%ae`
# decodes to U+FFFD); escapes left after decoding (double encoding, `%252e`). Envoy's
# `normalize_path`, `merge_slashes` and `path_with_escaped_slashes_action` should make this rare;
# the policy refuses it anyway, since it may sit behind an Envoy configured by someone else.
path_violation if {
	some segment in input.parsed_path
	split(segment, ";")[0] in {".", ".."}
}

path_violation if {
	some i, segment in input.parsed_path
	segment == ""
	i < count(input.parsed_path) - 1
}

path_violation if {
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

# A rule {methods, paths} matches when the method is listed and one path glob matches.
# Globs use "/" as delimiter: `*` is one segment, `**` any number of segments.
rule_matches(rule) if {
	method in rule.methods
	some pattern in rule.paths
	glob.match(pattern, ["/"], path)
}
