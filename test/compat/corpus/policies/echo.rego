# Echoes the whole input document into the dynamic metadata, so the corpus compares every field
# of the input contract (attributes, parsed_path, parsed_query, parsed_body, truncated_body,
# version, source_principal) between opa-envoy-plugin and Meshward.
package corpus.echo

import rego.v1

allow := {"allowed": true, "dynamic_metadata": {"input": input}}
