# Builtins a Wasm policy gets from its host, on request data: the answers must match
# opa-envoy-plugin's, which runs OPA's Go builtins.
package corpus.builtins

import rego.v1

headers := input.attributes.request.http.headers

header(name) := object.get(headers, name, "")

certificate := urlquery.decode(object.get(object.get(input.attributes, "source", {}), "certificate", ""))

parsed_certificates := crypto.x509.parse_certificates(certificate)

default subject := ""

subject := parsed_certificates[0].Subject.CommonName

default issued := []

issued := time.date(time.parse_rfc3339_ns(header("x-issued")))

allow := {
	"allowed": true,
	"headers": {
		"x-path-hex": hex.encode(concat("/", input.parsed_path)),
		"x-query": urlquery.encode_object(input.parsed_query),
		"x-digest": crypto.sha256(header("x-payload")),
		"x-mac": crypto.hmac.sha256(header("x-payload"), "secret"),
		"x-segments": format_int(strings.count(header(":path"), "/"), 10),
	},
	"dynamic_metadata": {
		"internal": strings.any_prefix_match(input.parsed_path, ["internal", "admin"]),
		"networks": sort(net.cidr_merge(split(header("x-networks"), ","))),
		"matches": sort(net.cidr_contains_matches(["10.0.0.0/8", "192.168.0.0/16"], split(header("x-forwarded-for"), ", "))),
		"version_ok": semver.is_valid(header("x-client-version")),
		"newer": semver.compare(header("x-client-version"), "1.2.0") >= 0,
		"bytes": units.parse_bytes(header("x-quota")),
		"issued": issued,
		"subject": subject,
		"patched": json.patch({"path": input.parsed_path}, [{"op": "add", "path": "/method", "value": input.attributes.request.http.method}]),
		"subset": object.subset(input.parsed_query, {"tenant": ["acme"]}),
	},
}
