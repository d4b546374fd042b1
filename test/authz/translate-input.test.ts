// Policy input from JSON CheckRequest fixtures must have opa-envoy-plugin's exact shape.
import { describe, expect, it } from "vitest";
import { parseBody } from "../../authz-server/src/translate/body.ts";
import { toPolicyInput } from "../../authz-server/src/translate/input.ts";
import { parsePath, parseQuery } from "../../authz-server/src/translate/url-parse.ts";
import { fixture } from "./helpers/fixtures.ts";

describe("toPolicyInput (opa-envoy shape)", () => {
  it("maps the CheckRequest by JSON names, set fields only, with parsed_* and source_principal", () => {
    const input = toPolicyInput(fixture("get-people-alice"));
    expect(Object.keys(input).sort()).toEqual([
      "attributes",
      "parsed_body",
      "parsed_path",
      "parsed_query",
      "source_principal",
      "truncated_body",
      "version",
    ]);
    expect(input.version).toEqual({ encoding: "protojson", ext_authz: "v3" });
    expect(input.parsed_path).toEqual(["people", "alice"]);
    expect(input.parsed_query).toEqual({ debug: ["1"], x: ["a b", "/"] });
    expect(input.parsed_body).toBeNull();
    expect(input.truncated_body).toBe(false);
    expect(input.source_principal).toBe("spiffe://cluster.local/ns/prod/sa/web");
    // biome-ignore lint/suspicious/noExplicitAny: deep reads of an untyped JSON document
    const attributes = input.attributes as any;
    expect(attributes.source).toEqual({
      address: { socketAddress: { address: "10.0.0.7", portValue: 53012 } },
      principal: "spiffe://cluster.local/ns/prod/sa/web",
    });
    expect(attributes.contextExtensions).toEqual({ virtual_host: "people" });
    // Struct stays a plain object; Timestamp becomes {seconds, nanos} as protoreflect gives it.
    expect(attributes.metadataContext).toEqual({
      filterMetadata: { "envoy.filters.http.jwt_authn": { payload: { sub: "alice", n: 1 } } },
    });
    expect(attributes.request.time).toEqual({ seconds: 1795831200, nanos: 500_000_000 });
    const http = attributes.request.http;
    expect(http.id).toBe("13359530607844510314");
    expect(http.headers["x-internal"]).toBe("secret");
    expect(http).not.toHaveProperty("size"); // 0 is the default: not set, not present
    expect(http).not.toHaveProperty("body");
  });

  it("parses JSON, form (rawBody) and multipart bodies", () => {
    expect(toPolicyInput(fixture("post-orders-json")).parsed_body).toEqual({ amount: 42 });
    const form = toPolicyInput(fixture("post-form"));
    expect(form.parsed_body).toEqual({ user: ["alice"], role: ["a", "b"] });
    expect(form.attributes).toHaveProperty(["request", "http", "rawBody"], "dXNlcj1hbGljZSZyb2xlPWEmcm9sZT1i");
    expect(toPolicyInput(fixture("post-multipart")).parsed_body).toEqual({ title: ["hello"], meta: [{ k: 1 }] });
  });

  it("reports a body shorter than its content-length as truncated and does not parse it", () => {
    const input = toPolicyInput(fixture("post-orders-truncated"));
    expect(input.truncated_body).toBe(true);
    expect(input.parsed_body).toBeNull();
  });

  it("leaves parsed_body and truncated_body out when body parsing is skipped", () => {
    const input = toPolicyInput(fixture("post-orders-json"), { skipBodyParse: true });
    expect(input).not.toHaveProperty("parsed_body");
    expect(input).not.toHaveProperty("truncated_body");
  });

  it("treats a body above the parse cap as truncated", () => {
    expect(toPolicyInput(fixture("post-orders-json"), { maxBodyParseBytes: 10 }).truncated_body).toBe(true);
  });

  it("fails with a coded error on malformed escapes, as opa-envoy does", () => {
    expect(() => toPolicyInput(fixture("bad-escape"))).toThrow(/MW_REQUEST_PARSE|invalid URL escape/);
    try {
      toPolicyInput(fixture("bad-escape"));
    } catch (err) {
      expect((err as { code: string }).code).toBe("MW_REQUEST_PARSE");
    }
  });
});

describe("Go net/url semantics", () => {
  it("decodes the whole path before splitting, trims all leading slashes", () => {
    expect(parsePath("/a/b%2Fc")).toEqual(["a", "b", "c"]);
    expect(parsePath("//x/")).toEqual(["x", ""]);
    expect(parsePath("/")).toEqual([""]);
    expect(parsePath("/a+b/%C3%A9")).toEqual(["a+b", "é"]);
  });

  it("parses queries like url.ParseQuery", () => {
    expect(parseQuery("/p?a=1&&b&a=2")).toEqual({ a: ["1", "2"], b: [""] });
    expect(() => parseQuery("/p?a=1;b=2")).toThrow(/semicolon/);
    expect(() => parseQuery("/p?a=%")).toThrow(/escape/);
  });

  it("keeps any parameter name as an own field, __proto__ and constructor included", () => {
    const query = parseQuery("/p?__proto__=1&constructor=2&__proto__=3");
    expect(Object.keys(query)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(JSON.stringify(query)).toBe('{"__proto__":["1","3"],"constructor":["2"]}');
  });

  it("rejects malformed JSON bodies", () => {
    expect(() => parseBody({ "content-type": "application/json" }, "{nope", new Uint8Array())).toThrow(/json body/);
  });

  it("refuses JSON nested deeper than the depth cap, counting brackets outside strings only", () => {
    const json = { "content-type": "application/json" };
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const none = new Uint8Array();
    expect(parseBody(json, nested(128), none, Number.POSITIVE_INFINITY, 128).body).toBeInstanceOf(Array);
    expect(() => parseBody(json, nested(129), none, Number.POSITIVE_INFINITY, 128)).toThrow(
      /json body: exceeded max depth of 128/,
    );
    // 300 brackets in a string, 2 levels of nesting.
    expect(parseBody(json, `[{"s":"${"[{".repeat(150)}"}]`, none, Number.POSITIVE_INFINITY, 128).body).toHaveLength(1);
    // A multipart JSON part is held to the same cap.
    const part = `--b\r\ncontent-disposition: form-data; name="j"\r\ncontent-type: application/json\r\n\r\n${nested(129)}\r\n--b--\r\n`;
    const multipart = { "content-type": "multipart/form-data; boundary=b" };
    expect(() => parseBody(multipart, part, none, Number.POSITIVE_INFINITY, 128)).toThrow(/max depth of 128/);
  });

  it("marks Envoy's partial bodies as truncated", () => {
    expect(
      parseBody({ "x-envoy-auth-partial-body": "true", "content-type": "application/json" }, "{", new Uint8Array()),
    ).toEqual({
      body: null,
      truncated: true,
    });
  });
});
