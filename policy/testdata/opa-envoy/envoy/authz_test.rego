package envoy.authz_test

import rego.v1

import data.envoy.authz

# header.payload.signature with payload {"sub":"alice","exp":4102444800} (year 2100).
token := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln"

test_people_self_allowed if {
	authz.allow.allowed with input as {
		"attributes": {"request": {"http": {"method": "GET", "headers": {"authorization": concat(" ", ["Bearer", token])}}}},
		"parsed_path": ["people", "alice"],
	}
}

test_people_other_denied if {
	not authz.allow.allowed with input as {
		"attributes": {"request": {"http": {"method": "GET", "headers": {"authorization": concat(" ", ["Bearer", token])}}}},
		"parsed_path": ["people", "bob"],
	}
}

test_order_amount if {
	authz.allow.allowed with input as {
		"attributes": {"request": {"http": {"method": "POST", "headers": {}}}},
		"parsed_path": ["orders"],
		"parsed_body": {"amount": 5},
		"truncated_body": false,
	}
}

test_admin_refuses_other_team if {
	not authz.admin with input as {"attributes": {
		"request": {"http": {"headers": {"x-admin": "yes"}}},
		"contextExtensions": {"team": "dev"},
	}}
}

test_admin_with_header if {
	authz.admin with input as {"attributes": {"request": {"http": {"headers": {"x-admin": "yes"}}}}}
}
