# Who is calling: the verified identity the authz server put under input.meshward.identity, with
# opa-envoy-plugin's input as the fallback (input.attributes.source.principal is the SPIFFE URI SAN
# of the mTLS peer, already verified by Envoy), so the bundle also runs behind plain opa-envoy.
package meshward.zerotrust

import rego.v1

# Bundle configuration (policy/zero-trust/meshward/config/data.json).
cfg := data.meshward.config

default identity := {}

identity := input.meshward.identity if is_object(input.meshward.identity)

# Claims count only when the server verified them (signature, issuer, audience, expiry).
default claims := {}

claims := identity.claims if {
	identity.authenticated == true
	is_object(identity.claims)
}

user_authenticated if {
	identity.authenticated == true
	identity.method == "jwt"
}

# The caller's SPIFFE ID: the server's verified identity first, then Envoy's peer principal
# (top-level `source_principal` of the input contract, or the CheckRequest attribute itself).
spiffe_id := id if {
	id := identity.spiffe_id
	startswith(id, "spiffe://")
} else := id if {
	id := input.source_principal
	startswith(id, "spiffe://")
} else := id if {
	id := input.attributes.source.principal
	startswith(id, "spiffe://")
}

# A claim as a list: arrays as they are, strings split on spaces (OAuth `scope` is
# "a b c", RFC 8693 §4.2; `scp` and `roles` are usually arrays).
claim_values(value) := value if is_array(value)

claim_values(value) := [part | some part in split(value, " "); part != ""] if is_string(value)

# Roles and scopes gathered from every claim name configured for them.
roles contains role if {
	some name in cfg.claims.roles
	some role in claim_values(claims[name])
}

scopes contains scope if {
	some name in cfg.claims.scopes
	some scope in claim_values(claims[name])
}

# High assurance: an `acr` (OIDC Core §2) or one `amr` value (RFC 8176) from the configured lists.
high_assurance if claims.acr in cfg.assurance.high_acr

high_assurance if {
	some method in claim_values(claims.amr)
	method in cfg.assurance.high_amr
}

# What kind of principal the rules treat the caller as; first match wins.
principal_type := "device" if is_device

else := "user" if user_authenticated

else := "service" if is_string(spiffe_id)

else := "anonymous"
