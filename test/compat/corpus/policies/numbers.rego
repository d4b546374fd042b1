# Exact comparisons on JSON body numbers: OPA keeps each literal's digits (json.Number), so these
# hold or not exactly as the request wrote them.
package corpus.numbers

import rego.v1

default body := {}

body := input.parsed_body if is_object(input.parsed_body)

value(name) := object.get(body, name, null)

allow := {
	"allowed": true,
	"dynamic_metadata": {
		"big_equals_literal": value("big") == 12345678901234567890,
		"big_above_literal": value("big") > 12345678901234567889,
		"big_is_rounded": value("big") == 12345678901234567000,
		"precise_equals_literal": value("precise") == 1.00000000000000000001,
		"precise_equals_one": value("precise") == 1,
		"negative_equals_literal": value("negative") == -98765432109876543210,
		"small_equals_literal": value("small") == 0.1,
		"exponent_equals_literal": value("exponent") == 1e400,
		"list_equals_literal": value("list") == [9007199254740993, 9007199254740992],
		"size_equals_literal": object.get(input.attributes.request.http, "size", 0) == 9007199254740993,
		"type": type_name(value("big")),
	},
}
