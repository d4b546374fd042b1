// The HTTP ext_authz mapping: request → CheckRequest (prefix, headers, body, route entrypoint
// header, XFCC principal) and CheckResponse → HTTP reply.
import { describe, expect, it } from "vitest";
import { emptyDecision } from "../../authz-server/src/translate/decision.ts";
import { toCheckResponse } from "../../authz-server/src/translate/response.ts";
import { toCheckRequest, toHttpReply } from "../../authz-server/src/transport/http-check.ts";
import { xfccPeerUri } from "../../authz-server/src/transport/xfcc.ts";

const mapping = { checkPathPrefix: "/check", entrypointContextKey: "meshward_entrypoint" };

describe("HTTP ext_authz mapping", () => {
  it("strips the prefix, keeps method, headers (multi-valued joined) and body", () => {
    const request = toCheckRequest(
      {
        method: "POST",
        url: "/check/orders?x=1",
        headers: { host: "shop", "x-multi": ["a", "b"], "content-type": "application/json" },
        body: Buffer.from('{"a":1}'),
        protocol: "HTTP/1.1",
      },
      mapping,
    );
    const http = request.attributes?.request?.http;
    expect(http).toMatchObject({
      method: "POST",
      path: "/orders?x=1",
      host: "shop",
      query: "x=1",
      body: '{"a":1}',
      size: 7n,
    });
    expect(http?.headers["x-multi"]).toBe("a,b");
    expect(request.attributes?.source).toBeUndefined();
  });

  it("reads the route entrypoint header and the XFCC principal only when configured", () => {
    const headers = {
      "x-meshward-entrypoint": "envoy/authz/admin",
      "x-forwarded-client-cert":
        'By=spiffe://td/ns/a/sa/gw;URI=spiffe://td/ns/x/sa/evil,By=spiffe://td/ns/a/sa/gw;Subject="CN=a, O=b";URI=spiffe://td/ns/prod/sa/web',
    };
    const off = toCheckRequest({ method: "GET", url: "/check/", headers, protocol: "HTTP/1.1" }, mapping);
    expect(off.attributes?.contextExtensions).toEqual({});
    expect(off.attributes?.source).toBeUndefined();
    const on = toCheckRequest(
      { method: "GET", url: "/check/", headers, protocol: "HTTP/1.1" },
      { ...mapping, entrypointHeader: "x-meshward-entrypoint", principalFromXfcc: true },
    );
    expect(on.attributes?.contextExtensions).toEqual({ meshward_entrypoint: "envoy/authz/admin" });
    expect(on.attributes?.source?.principal).toBe("spiffe://td/ns/prod/sa/web"); // nearest hop
    expect(xfccPeerUri('Hash=abc;URI="spiffe://td/a"')).toBe("spiffe://td/a");
    expect(xfccPeerUri("Hash=abc")).toBeUndefined();
  });

  it("answers allow as 200 with headers and headers-to-remove, deny with status, headers and body", () => {
    const allow = {
      ...emptyDecision(true),
      headers: [["x-user", "a"]] as [string, string][],
      requestHeadersToRemove: ["x-a", "x-b"],
    };
    expect(toHttpReply(toCheckResponse(allow, "d1"), "d1")).toEqual({
      status: 200,
      headers: [
        ["x-meshward-decision-id", "d1"],
        ["x-user", "a"],
        ["x-envoy-auth-headers-to-remove", "x-a,x-b"],
      ],
      body: "",
    });
    const deny = {
      ...emptyDecision(false),
      httpStatus: 401,
      body: "no",
      headers: [["www-authenticate", "Bearer"]] as [string, string][],
    };
    expect(toHttpReply(toCheckResponse(deny, "d2"), "d2")).toEqual({
      status: 401,
      headers: [
        ["x-meshward-decision-id", "d2"],
        ["www-authenticate", "Bearer"],
      ],
      body: "no",
    });
  });
});
