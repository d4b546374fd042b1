# Iterates an object and a set and joins what it saw, in iteration order.
package corpus.iteration

import rego.v1

object_keys := concat(",", [k | some k, _ in object.get(input, "parsed_body", {})])

set_members := concat(",", [m | some m in {x | some x in object.get(input.parsed_query, "m", [])}])

allow := {"allowed": true, "headers": {"x-object-keys": object_keys, "x-set-members": set_members}}
