# IoT devices: identity plus posture. A device is either a verified JWT with a `device` claim
# ({id, class, firmware, attested, patch_age_days}, issued by the device-management service) or an
# mTLS peer whose SPIFFE ID matches `devices.spiffe_patterns` (spiffe://<td>/devices/<class>/<id>).
# Posture always comes from verified claims: a certificate alone proves who, not how healthy, so
# a class that requires attestation refuses a device without posture claims.
package meshward.zerotrust

import rego.v1

is_device if is_object(claims.device)

is_device if {
	some pattern in cfg.devices.spiffe_patterns
	glob.match(pattern, ["/"], spiffe_id)
}

default posture := {}

posture := claims.device if is_object(claims.device)

# Class from the claim, else the segment after `devices` in the SPIFFE path.
device_class_name := posture.class if is_string(posture.class)

else := name if {
	parts := split(trim_prefix(spiffe_id, "spiffe://"), "/")
	parts[1] == "devices"
	name := parts[2]
}

device_class := cfg.devices.classes[device_class_name]

posture_failures contains "not_attested" if {
	device_class.require_attested == true
	not attested
}

# `posture.attested != true` would be undefined (not true) when the claim is absent.
attested if posture.attested == true

# Versions are plain MAJOR.MINOR.PATCH; Rego compares arrays element by element, so
# [2, 10, 0] >= [2, 4, 0] as it should (string comparison would get this wrong).
posture_failures contains "firmware_outdated" if {
	not firmware_at_least(device_class.min_firmware)
}

posture_failures contains "patch_too_old" if {
	not patched_within(device_class.max_patch_age_days)
}

version_triplet(text) := [to_number(part) | some part in split(text, ".")] if {
	regex.match(`^[0-9]+\.[0-9]+\.[0-9]+$`, text)
}

firmware_at_least(minimum) if version_triplet(posture.firmware) >= version_triplet(minimum)

patched_within(max_days) if {
	is_number(posture.patch_age_days)
	posture.patch_age_days <= max_days
}

device_granted contains route.id if {
	some route in device_class.routes
	rule_matches(route)
}

device_access := refused(403, "device_not_allowed") if not device_class

else := refused(403, "device_posture") if count(posture_failures) > 0

else := granted(public_route) if count(public_route) > 0

else := granted(device_granted) if count(device_granted) > 0

else := refused(403, "device_route_not_allowed")
