package meshward.zerotrust_test

import rego.v1

import data.meshward.zerotrust

test_healthy_thermostat_posts_telemetry if {
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {}, "low")
	d.allowed
	d.headers["x-meshward-route"] == "telemetry-ingest"
	d.headers["x-meshward-principal-type"] == "device"
}

test_device_limited_to_its_class_routes if {
	d := zerotrust.decision with input as device("POST", "/iot/media/clip.mp4", {}, "low")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "device_route_not_allowed"
}

test_unattested_device_denied if {
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {"attested": false}, "low")
	d.http_status == 403
	d.headers["x-meshward-reason"] == "device_posture"
	d.dynamic_metadata.posture_failures == ["not_attested"]
}

test_firmware_compared_numerically if {
	# 2.10.0 is newer than the minimum 2.4.0 although "2.10.0" < "2.4.0" as strings
	zerotrust.allow with input as device("POST", "/iot/telemetry", {"firmware": "2.10.0"}, "low")
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {"firmware": "2.3.9"}, "low")
	d.dynamic_metadata.posture_failures == ["firmware_outdated"]
}

test_unparsable_firmware_fails_posture if {
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {"firmware": "latest"}, "low")
	d.dynamic_metadata.posture_failures == ["firmware_outdated"]
}

test_stale_patches_fail_posture if {
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {"patch_age_days": 45}, "low")
	d.dynamic_metadata.posture_failures == ["patch_too_old"]
	e := zerotrust.decision with input as device("POST", "/iot/telemetry", {"patch_age_days": null}, "low")
	e.dynamic_metadata.posture_failures == ["patch_too_old"]
}

test_unknown_device_class_denied if {
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {"class": "toaster"}, "low")
	d.headers["x-meshward-reason"] == "device_not_allowed"
}

test_mtls_device_without_posture_claims_denied if {
	id := service_identity("spiffe://cluster.local/devices/thermostat/t-77")
	d := zerotrust.decision with input as with_meshward(request("POST", "/iot/telemetry"), id, risk("low"))
	d.dynamic_metadata.principal_type == "device"
	d.headers["x-meshward-reason"] == "device_posture"
	d.dynamic_metadata.posture_failures == ["firmware_outdated", "not_attested", "patch_too_old"]
}

test_mtls_device_with_posture_claims_allowed if {
	id := object.union(
		service_identity("spiffe://cluster.local/devices/thermostat/t-77"),
		{"claims": {"device": thermostat({"id": "t-77"})}},
	)
	zerotrust.allow with input as with_meshward(request("GET", "/iot/config/t-77"), id, risk("low"))
}

test_device_medium_risk_is_throttled if {
	d := zerotrust.decision with input as device("POST", "/iot/telemetry", {}, "medium")
	d.allowed
	d.headers["x-meshward-action"] == "throttle"
	d.headers["x-meshward-risk-level"] == "medium"
}

test_device_may_reach_public_routes if {
	d := zerotrust.decision with input as device("GET", "/healthz", {}, "low")
	d.headers["x-meshward-route"] == "public"
}
