# Service-to-service access: the allow-list `services` in data.json keyed by the caller's SPIFFE ID
# (glob with "/" as delimiter, so `spiffe://td/ns/shop/sa/*` is every service account of a
# namespace). Public routes stay open to services too.
package meshward.zerotrust

import rego.v1

service_granted contains rule.id if {
	some rule in cfg.services
	some source in rule.sources
	glob.match(source, ["/"], spiffe_id)
	rule_matches(rule)
}

service_access := granted(public_route) if count(public_route) > 0

else := granted(service_granted) if count(service_granted) > 0

else := refused(403, "service_not_allowed")
