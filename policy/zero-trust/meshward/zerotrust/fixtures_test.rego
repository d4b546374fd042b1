# Input builders shared by the tests: an opa-envoy-shaped request plus input.meshward.
package meshward.zerotrust_test

import rego.v1

segments(path) := [seg | some seg in split(trim_prefix(split(path, "?")[0], "/"), "/")]

request(method, path) := {
	"attributes": {
		"request": {"http": {"method": method, "path": path, "host": "shop.example", "headers": {}}},
		"destination": {"principal": "spiffe://cluster.local/ns/shop/sa/orders"},
	},
	"parsed_path": segments(path),
	"parsed_query": {},
	"parsed_body": null,
	"truncated_body": false,
	"version": {"encoding": "protojson", "ext_authz": "v3"},
}

risk(level) := {"score": 10, "level": level, "reasons": []}

with_meshward(req, identity, risk_doc) := object.union(req, {"meshward": {"identity": identity, "risk": risk_doc}})

user_identity(claims) := {
	"subject": "alice",
	"issuer": "https://idp.example",
	"audience": ["shop"],
	"claims": claims,
	"authenticated": true,
	"method": "jwt",
}

service_identity(spiffe) := {"spiffe_id": spiffe, "authenticated": true, "method": "mtls", "claims": {}}

anonymous_identity := {"authenticated": false, "method": "none", "claims": {}}

user(method, path, claims, level) := with_meshward(request(method, path), user_identity(claims), risk(level))

service(method, path, spiffe, level) := with_meshward(request(method, path), service_identity(spiffe), risk(level))

anonymous(method, path, level) := with_meshward(request(method, path), anonymous_identity, risk(level))

customer := {"roles": ["customer"], "scope": "orders:read orders:write catalog:read"}

admin_mfa := {"roles": ["admin"], "acr": "urn:meshward:acr:mfa"}

admin_password := {"roles": ["admin"], "amr": ["pwd"]}

thermostat(posture) := object.union(
	{"class": "thermostat", "id": "t-1", "firmware": "2.10.0", "attested": true, "patch_age_days": 3},
	posture,
)

device(method, path, posture, level) := with_meshward(
	request(method, path),
	user_identity({"device": thermostat(posture)}),
	risk(level),
)
