// ShouldRateLimit answers: statuses per descriptor, overall code, RateLimit headers, replaces,
// unlimited, shadow, overrides, bounds and unknown domains; and the failover between Redis and
// the domain's failure mode, with a store that fails on command.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RateLimitDescriptor_RateLimitOverrideSchema } from "../../authz-server/src/gen/envoy/extensions/common/ratelimit/v3/ratelimit_pb.ts";
import {
  type RateLimitResponse,
  RateLimitResponse_Code,
  RateLimitResponse_RateLimit_Unit,
} from "../../authz-server/src/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { RateLimitUnit } from "../../authz-server/src/gen/envoy/type/v3/ratelimit_unit_pb.ts";
import { MemoryDecider } from "../../authz-server/src/ratelimit/failover-store.ts";
import { MemoryRateStore } from "../../authz-server/src/ratelimit/memory-store.ts";
import { rateLimitHeaders, sfString } from "../../authz-server/src/ratelimit/ratelimit-headers.ts";
import {
  type CallRecord,
  type HeadersMode,
  RateLimitService,
} from "../../authz-server/src/ratelimit/ratelimit-service.ts";
import { meshDomain, request, T0_US } from "./fixtures.ts";

const BOUNDS = { maxDescriptors: 4, maxEntries: 3, maxValueLength: 64 };

function service(headers: HeadersMode = "limited") {
  let now = T0_US;
  const records: CallRecord[] = [];
  const refusals: string[] = [];
  const domains = new Map([["mesh", meshDomain()]]);
  const svc = new RateLimitService(BOUNDS, headers, {
    domains: () => domains,
    decider: new MemoryDecider(new MemoryRateStore(() => now)),
    observe: (r) => records.push(r),
    observeRefusal: (domain, code) => refusals.push(`${domain ?? "-"} ${code}`),
  });
  return { svc, records, refusals, advance: (us: number) => (now += us) };
}

const codes = (r: RateLimitResponse) => [r.overallCode, ...r.statuses.map((s) => s.code)];
const headers = (r: RateLimitResponse) => Object.fromEntries(r.responseHeadersToAdd.map((h) => [h.key, h.value]));
const { OK, OVER_LIMIT } = RateLimitResponse_Code;

describe("RateLimitService", () => {
  it("answers per descriptor with the limit, what remains and when it is full again", async () => {
    const { svc, records } = service();
    const r = await svc.shouldRateLimit(
      request("mesh", [["generic_key", "global"]], [["subject", "alice"]], [["nope", "x"]]),
    );
    expect(codes(r)).toEqual([OK, OK, OK, OK]);
    expect(r.statuses[0]?.currentLimit).toMatchObject({
      name: "global",
      requestsPerUnit: 100,
      unit: RateLimitResponse_RateLimit_Unit.SECOND,
    });
    expect(r.statuses[0]?.limitRemaining).toBe(49);
    expect(r.statuses[0]?.durationUntilReset).toMatchObject({ seconds: 0n, nanos: 10_000_000 });
    expect(r.statuses[1]).toMatchObject({ limitRemaining: 9, durationUntilReset: { seconds: 0n, nanos: 100_000_000 } });
    expect(r.statuses[2]?.currentLimit).toBeUndefined(); // no rule: OK without a limit
    // Envoy sends an empty descriptor when all its actions were skipped (skip_if_absent).
    const empty = await svc.shouldRateLimit(request("mesh", [], [["subject", "alice"]]));
    expect(codes(empty)).toEqual([OK, OK, OK]);
    expect(empty.statuses[0]?.currentLimit).toBeUndefined();
    expect(r.responseHeadersToAdd).toEqual([]); // `limited`: headers only on a refusal
    expect(records[0]).toMatchObject({ domain: "mesh", overLimit: false, source: "memory" });
    expect(records[0]?.outcomes.map((o) => `${o.rule.name}:${o.result}`)).toEqual(["global:ok", "per-subject:ok"]);
  });

  it("refuses over the limit with RateLimit headers and Retry-After", async () => {
    const { svc } = service();
    for (let i = 0; i < 10; i++) await svc.shouldRateLimit(request("mesh", [["subject", "bob"]]));
    const r = await svc.shouldRateLimit(request("mesh", [["generic_key", "global"]], [["subject", "bob"]]));
    expect(codes(r)).toEqual([OVER_LIMIT, OK, OVER_LIMIT]);
    expect(headers(r)).toEqual({
      "ratelimit-policy": '"global";q=100;w=1, "per-subject";q=10;w=1',
      ratelimit: '"global";r=50;t=0, "per-subject";r=0;t=1',
      "retry-after": "1",
    });
  });

  it("`all` adds the headers to allowed answers too; `off` never", async () => {
    const all = await service("all").svc.shouldRateLimit(request("mesh", [["subject", "x"]]));
    expect(headers(all)).toEqual({ "ratelimit-policy": '"per-subject";q=10;w=1', ratelimit: '"per-subject";r=9;t=1' });
    const off = service("off");
    for (let i = 0; i < 11; i++) await off.svc.shouldRateLimit(request("mesh", [["subject", "y"]]));
    const refused = await off.svc.shouldRateLimit(request("mesh", [["subject", "y"]]));
    expect(refused.overallCode).toBe(OVER_LIMIT);
    expect(refused.responseHeadersToAdd).toEqual([]);
  });

  it("unlimited answers OK with 2^32−1 remaining; a 0-rate rule refuses everything", async () => {
    const { svc } = service();
    const r = await svc.shouldRateLimit(request("mesh", [["subject", "admin"]], [["blocked", "anything"]]));
    expect(codes(r)).toEqual([OVER_LIMIT, OK, OVER_LIMIT]);
    expect(r.statuses[0]?.limitRemaining).toBe(4_294_967_295);
  });

  it("a shadow limit answers OK and is counted as shadow_over_limit", async () => {
    const { svc, records } = service();
    for (let i = 0; i < 3; i++) {
      const r = await svc.shouldRateLimit(request("mesh", [["canary", "c"]]));
      expect(codes(r)).toEqual([OK, OK]);
    }
    expect(records.map((r) => r.outcomes[0]?.result)).toEqual(["ok", "ok", "shadow_over_limit"]);
  });

  it("replaces drops the named limit of the same request", async () => {
    const { svc } = service();
    for (let i = 0; i < 10; i++) await svc.shouldRateLimit(request("mesh", [["subject", "vip"]]));
    expect((await svc.shouldRateLimit(request("mesh", [["subject", "vip"]]))).overallCode).toBe(OVER_LIMIT);
    // With the vip-orders descriptor in the request, per-subject no longer applies.
    const r = await svc.shouldRateLimit(
      request(
        "mesh",
        [["subject", "vip"]],
        [
          ["route", "orders-write"],
          ["subject", "vip"],
        ],
      ),
    );
    expect(codes(r)).toEqual([OK, OK, OK]);
    expect(r.statuses[0]?.currentLimit).toBeUndefined();
    expect(r.statuses[1]?.currentLimit?.name).toBe("vip-orders");
  });

  it("hits_addend charges that many; an override changes the rate of the matched rule only", async () => {
    const { svc } = service();
    const heavy = request("mesh", [["subject", "h"]]);
    heavy.hitsAddend = 7;
    expect((await svc.shouldRateLimit(heavy)).statuses[0]?.limitRemaining).toBe(3);
    const overridden = request("mesh", [["subject", "o"]], [["nope", "x"]]);
    for (const d of overridden.descriptors)
      d.limit = create(RateLimitDescriptor_RateLimitOverrideSchema, { requestsPerUnit: 2, unit: RateLimitUnit.SECOND });
    const r = await svc.shouldRateLimit(overridden);
    expect(r.statuses[0]).toMatchObject({
      limitRemaining: 1,
      currentLimit: { name: "per-subject", requestsPerUnit: 2 },
    });
    expect(r.statuses[1]?.currentLimit).toBeUndefined(); // no rule matched: no limit is created
    const month = request("mesh", [["subject", "o"]]);
    (month.descriptors[0] as { limit?: unknown }).limit = create(RateLimitDescriptor_RateLimitOverrideSchema, {
      requestsPerUnit: 2,
      unit: RateLimitUnit.MONTH,
    });
    await expect(svc.shouldRateLimit(month)).rejects.toThrow(
      "descriptors[0].limit.unit: must be SECOND, MINUTE, HOUR or DAY",
    );
  });

  it.each([
    [request("", [["a", "b"]]), "MW_RL_BAD_REQUEST", "domain: must not be empty"],
    [request("mesh"), "MW_RL_BAD_REQUEST", "descriptors: at least one is required"],
    [
      request("mesh", [["a", "1"]], [["a", "2"]], [["a", "3"]], [["a", "4"]], [["a", "5"]]),
      "MW_RL_BAD_REQUEST",
      "descriptors: at most 4, got 5",
    ],
    [
      request("mesh", [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
        ["d", "4"],
      ]),
      "MW_RL_BAD_REQUEST",
      "descriptors[0].entries: at most 3, got 4",
    ],
    [
      request("mesh", [["subject", "x".repeat(65)]]),
      "MW_RL_BAD_REQUEST",
      "descriptors[0].entries[0]: key must be 1..64",
    ],
    [request("mesh", [["", "x"]]), "MW_RL_BAD_REQUEST", "descriptors[0].entries[0]: key must be"],
    [request("nope", [["a", "b"]]), "MW_RL_UNKNOWN_DOMAIN", "no rate-limit rules for domain nope"],
  ])("refuses bad input with a code: %#", async (req, code, message) => {
    const { svc, refusals } = service();
    await expect(svc.shouldRateLimit(req)).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
    expect(refusals).toEqual([`- ${code}`]);
  });

  it("rounds and escapes the header values", () => {
    expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(
      rateLimitHeaders(
        [
          { name: "x", requestsPerUnit: 5, unitSeconds: 60, remaining: 3, resetUs: 1_000_001 },
          { name: "x", requestsPerUnit: 5, unitSeconds: 60, remaining: 1, resetUs: 2_500_000 },
        ],
        1,
      ),
    ).toEqual([
      ["ratelimit-policy", '"x";q=5;w=60'],
      ["ratelimit", '"x";r=1;t=3'],
      ["retry-after", "1"],
    ]);
  });
});
