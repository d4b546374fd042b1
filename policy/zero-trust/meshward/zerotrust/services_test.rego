package meshward.zerotrust_test

import rego.v1

import data.meshward.zerotrust

frontend := "spiffe://cluster.local/ns/shop/sa/frontend"

test_frontend_may_post_orders if {
	d := zerotrust.decision with input as service("POST", "/api/orders", frontend, "low")
	d.allowed
	d.headers["x-meshward-route"] == "frontend-to-orders"
	d.headers["x-meshward-principal-type"] == "service"
}

test_namespace_wildcard_source if {
	d := zerotrust.decision with input as service("GET", "/api/catalog/items/3", "spiffe://cluster.local/ns/shop/sa/cart", "low")
	d.headers["x-meshward-route"] == "shop-to-catalog"
}

test_wildcard_does_not_cross_namespaces if {
	d := zerotrust.decision with input as service("GET", "/api/catalog/items/3", "spiffe://cluster.local/ns/other/sa/cart", "low")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "service_not_allowed"
}

test_service_method_not_in_allow_list if {
	d := zerotrust.decision with input as service("DELETE", "/api/orders/1", frontend, "low")
	d.headers["x-meshward-reason"] == "service_not_allowed"
}

test_plain_opa_envoy_input_uses_source_principal if {
	req := object.union(request("GET", "/metrics"), {"attributes": {"source": {"principal": "spiffe://cluster.local/ns/monitoring/sa/prometheus"}}})
	d := zerotrust.decision with input as req
	d.allowed
	d.headers["x-meshward-route"] == "monitoring-scrape"

	# no input.meshward: the configured default level (medium) applies
	d.dynamic_metadata.risk_level == "medium"
	d.dynamic_metadata.action == "allow_with_headers"
}

test_non_spiffe_principal_is_anonymous if {
	req := object.union(request("GET", "/metrics"), {"attributes": {"source": {"principal": "CN=legacy"}}})
	d := zerotrust.decision with input as req
	d.http_status == 401
	d.dynamic_metadata.principal_type == "anonymous"
}

test_service_high_risk_is_throttled if {
	d := zerotrust.decision with input as service("GET", "/api/orders", frontend, "high")
	d.allowed
	d.headers["x-meshward-risk-level"] == "high"
	d.headers["x-meshward-action"] == "throttle"
	d.response_headers_to_add == {"x-meshward-risk-action": "throttle"}
}

test_top_level_source_principal if {
	req := object.union(request("GET", "/metrics"), {"source_principal": "spiffe://cluster.local/ns/monitoring/sa/prometheus"})
	zerotrust.allow with input as req
}
