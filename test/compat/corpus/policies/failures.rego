# Evaluation failures: a conflict between two complete rules, and an undefined decision.
package corpus.failures

import rego.v1

allow := true if input.parsed_query.a

allow := false if input.parsed_query.b
