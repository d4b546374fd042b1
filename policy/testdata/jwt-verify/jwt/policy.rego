# Verifies a bearer token in Rego with io.jwt.verify_* against the key in data.jwt.key (a PEM public
# key or a JWKS text, written into data.json by the test), as opa-envoy users do.
package jwt

import rego.v1

default allow := false

bearer := t if {
	[_, t] := split(input.attributes.request.http.headers.authorization, " ")
}

verified if io.jwt.verify_rs256(bearer, data.jwt.key)

verified if io.jwt.verify_es256(bearer, data.jwt.key)

verified if io.jwt.verify_ps256(bearer, data.jwt.key)

allow if {
	verified
	[_, payload, _] := io.jwt.decode(bearer)
	payload.sub == "alice"
}
