# The request as the rules see it: method, path without query, and method × path matching.
package meshward.zerotrust

import rego.v1

method := input.attributes.request.http.method

# Envoy's :path includes the query string; rules match the path alone.
path := split(input.attributes.request.http.path, "?")[0]

# A path that a later hop could resolve differently from its text: dot segments, or a slash or
# backslash hidden by percent-encoding (parsed_path is percent-decoded). Envoy's
# `normalize_path` and `merge_slashes` should make this rare; the policy refuses it anyway.
path_violation if {
	some segment in input.parsed_path
	segment in {".", ".."}
}

path_violation if {
	some segment in input.parsed_path
	contains(segment, "/")
}

path_violation if {
	some segment in input.parsed_path
	contains(segment, "\\")
}

# A rule {methods, paths} matches when the method is listed and one path glob matches.
# Globs use "/" as delimiter: `*` is one segment, `**` any number of segments.
rule_matches(rule) if {
	method in rule.methods
	some pattern in rule.paths
	glob.match(pattern, ["/"], path)
}
