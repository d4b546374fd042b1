// Shared rules and helpers of the rate-limit tests.
import { create } from "@bufbuild/protobuf";
import { parse } from "yaml";
import { RateLimitDescriptorSchema } from "../../authz-server/src/gen/envoy/extensions/common/ratelimit/v3/ratelimit_pb.ts";
import {
  type RateLimitRequest,
  RateLimitRequestSchema,
} from "../../authz-server/src/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { type CompiledDomain, compileDomain } from "../../authz-server/src/ratelimit/rules.ts";
import { parseDomain } from "../../authz-server/src/ratelimit/rules-schema.ts";

/** The mesh domain of the docs: a global limit, per subject, per risk level and subject, per route
 *  and subject, with shadow, unlimited, wildcard and replaces cases. */
export const MESH_RULES = `
domain: mesh
descriptors:
  - key: generic_key
    value: global
    rate_limit: { unit: second, requests_per_unit: 100, burst: 50, name: global }
  - key: subject
    rate_limit: { unit: second, requests_per_unit: 10, name: per-subject, max_values: 3 }
  - key: subject
    value: svc-batch
    rate_limit: { unit: minute, requests_per_unit: 600, burst: 5, name: batch }
  - key: subject
    value: admin
    rate_limit: { unlimited: true }
  - key: risk_level
    value: high
    descriptors:
      - key: subject
        rate_limit: { unit: minute, requests_per_unit: 6, burst: 2, name: high-risk }
  - key: route
    value: orders-*
    descriptors:
      - key: subject
        rate_limit: { unit: second, requests_per_unit: 5, name: orders-per-subject }
  - key: route
    value: orders-write
    descriptors:
      - key: subject
        value: vip
        rate_limit: { unit: second, requests_per_unit: 50, name: vip-orders, replaces: [{ name: per-subject }] }
  - key: file
    value: files/*
    share_threshold: true
    rate_limit: { unit: second, requests_per_unit: 3, name: files }
  - key: canary
    shadow_mode: true
    rate_limit: { unit: second, requests_per_unit: 2, name: canary }
  - key: blocked
    rate_limit: { unit: second, requests_per_unit: 0, name: blocked }
`;

export function meshDomain(text = MESH_RULES): CompiledDomain {
  return compileDomain(parseDomain(parse(text), "rules.yaml"));
}

/** `request("mesh", [["subject", "alice"]], [["generic_key", "global"]])`. */
export function request(domain: string, ...descriptors: [string, string][][]): RateLimitRequest {
  return create(RateLimitRequestSchema, {
    domain,
    descriptors: descriptors.map((entries) =>
      create(RateLimitDescriptorSchema, { entries: entries.map(([key, value]) => ({ key, value })) }),
    ),
  });
}

/** A fixed instant (µs since RATE_EPOCH) tests start from. */
export const T0_US = 1_000_000_000_000;
