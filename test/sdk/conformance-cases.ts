// ONE set of conformance assertions for Meshward's proxy-wasm SDK, run against the Node host
// (conformance.host.test.ts) and against real Envoy (conformance.e2e.test.ts) with the
// filters/conformance module. When the two disagree, the host is wrong: fix test/host/, never
// these expectations.
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { CONFORMANCE_PLUGIN, type ConformanceTarget, eventually, header } from "./conformance-target.ts";

export function conformanceCases(target: () => ConformanceTarget): void {
  const echo = async (tag: string) =>
    target().request({
      path: "/conformance/echo?x=1",
      headers: [
        ["x-conf-in", "hello"],
        ["x-conf-multi", "a"],
        ["x-conf-multi", "b"],
        ["x-conf-tag", tag],
        ["x-conf-fresh-key", `fresh-${tag}`],
        ["x-conf-replace", "old"],
        ["x-conf-remove", "gone"],
      ],
    });

  it("reads request headers: one value, first of repeats, all pairs, byte size, in-place compare", async () => {
    const res = await echo(randomUUID());
    expect(res.status).toBe(200);
    expect(header(res, "x-conf-eos")).toBe("true");
    expect(header(res, "x-conf-in-echo")).toBe("hello");
    expect(header(res, "x-conf-in-equals-hello")).toBe("true");
    expect(header(res, "x-conf-has-in")).toBe("true");
    // The reusing getter hands back the caller's own string when the bytes are its text, else decodes.
    expect(header(res, "x-conf-in-reused")).toBe("true");
    expect(header(res, "x-conf-in-other")).toBe("hello,false");
    expect(header(res, "x-conf-absent-status")).toBe("NotFound");
    expect(header(res, "x-conf-multi-first")).toBe("a");
    expect(header(res, "x-conf-multi-all")).toBe("a|b");
    expect(header(res, "x-conf-has-method")).toBe("true");
    expect(header(res, "x-conf-size-positive")).toBe("true");
  });

  it("adds, replaces and removes request headers before the upstream sees them", async () => {
    const res = await echo(randomUUID());
    const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    expect(seen["x-conf-added"]).toBe("1");
    expect(seen["x-conf-replace"]).toBe("new");
    expect(seen["x-conf-remove"]).toBeUndefined();
  });

  it("drops the request header map once the filter continued (BadArgument in on_response_headers)", async () => {
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-late-request-read")).toBe("BadArgument");
    expect(header(res, "x-conf-response-status-seen")).toBe("200");
  });

  it("hands plugin and VM configuration to on_configure / on_vm_start, and not later", async () => {
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-config")).toBe(CONFORMANCE_PLUGIN.pluginConfig);
    expect(header(res, "x-conf-vm-config")).toBe(CONFORMANCE_PLUGIN.vmConfig);
    const body = await target().request({
      method: "POST",
      path: "/conformance/body",
      headers: [["x-conf-op", "body"]],
      body: "hello body",
    });
    expect(header(body, "x-conf-config-buffer-later")).toBe("NotFound");
  });

  it("reports wall-clock time, the wasm log level and a cheap level check", async () => {
    const before = Date.now();
    const res = await echo(randomUUID());
    expect(Math.abs(Number(header(res, "x-conf-time-ms")) - before)).toBeLessThan(60_000);
    expect(Math.abs(Number(header(res, "x-conf-request-time-ms")) - before)).toBeLessThan(60_000);
    expect(header(res, "x-conf-log-level")).toBe("2");
    expect(header(res, "x-conf-debug-enabled")).toBe("false");
    expect(header(res, "x-conf-warn-enabled")).toBe("true");
  });

  it("decodes typed properties (strings, maps, int64, bool, timestamp) and reads back set_property", async () => {
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-plugin-name")).toBe(CONFORMANCE_PLUGIN.name);
    expect(header(res, "x-conf-plugin-root-id")).toBe(CONFORMANCE_PLUGIN.rootId);
    expect(header(res, "x-conf-plugin-vm-id")).toBe(CONFORMANCE_PLUGIN.vmId);
    expect(header(res, "x-conf-request-path")).toBe("/conformance/echo?x=1");
    expect(header(res, "x-conf-request-method")).toBe("GET");
    expect(header(res, "x-conf-method-reused")).toBe("true");
    expect(header(res, "x-conf-request-header-prop")).toBe("hello");
    expect(header(res, "x-conf-request-headers-prop")).toBe("hello");
    expect(header(res, "x-conf-source-port-positive")).toBe("true");
    expect(header(res, "x-conf-mtls")).toBe("false");
    expect(header(res, "x-conf-set-property")).toBe("Ok");
    expect(header(res, "x-conf-mark")).toBe("marked");
    expect(header(res, "x-conf-missing-property")).toBe("NotFound");
  });

  it("shares data across workers with Envoy's CAS rules (mismatch on stale cas, missing key ignores cas)", async () => {
    const first = await echo(randomUUID());
    const second = await echo(randomUUID());
    expect(Number(header(second, "x-conf-shared-hits"))).toBeGreaterThan(Number(header(first, "x-conf-shared-hits")));
    expect(header(first, "x-conf-cas-positive")).toBe("true");
    expect(header(first, "x-conf-cas")).toBe("Ok,CasMismatch");
    expect(header(first, "x-conf-missing-key-cas")).toBe("Ok");
    expect(header(first, "x-conf-cas-update")).toBe("Ok");
    expect(header(first, "x-conf-cas-update-value")).toBe("x!");
    // The same update in place: on the existing key, and on a missing one (written unconditionally).
    expect(header(first, "x-conf-cas-update-in-place")).toBe("Ok,Ok,x!!,v");
  });

  it("refuses to make an unknown context effective (BadArgument)", async () => {
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-effective-unknown")).toBe("BadArgument");
  });

  it("runs foreign functions: clear_route_cache is Ok, an unknown name is NotFound", async () => {
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-clear-route-cache")).toBe("Ok");
    expect(header(res, "x-conf-foreign-unknown")).toBe("NotFound");
  });

  it("enqueues on a shared queue and the registrant drains it in on_queue_ready", async () => {
    const before = (await target().stat("conformance_queue_items")) ?? 0;
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-enqueue")).toBe("Ok");
    expect(header(res, "x-conf-resolve-unknown")).toBe("NotFound");
    expect(header(res, "x-conf-dequeue-unknown")).toBe("NotFound");
    const after = await eventually(
      target(),
      () => target().stat("conformance_queue_items"),
      (v) => (v ?? 0) > before,
    );
    expect(after).toBeGreaterThan(before);
  });

  it("keeps Envoy's metric rules: counter delta 0 refused, histogram get refused, counters aggregate", async () => {
    // Defined as "conformance.requests"; Prometheus shows it without wasmcustom/envoy_ prefixes.
    const res = await echo(randomUUID());
    expect(header(res, "x-conf-counter-zero")).toBe("BadArgument");
    expect(header(res, "x-conf-histogram-get")).toBe("BadArgument");
    expect(header(res, "x-conf-requests-positive")).toBe("true");
    const before = (await target().stat("conformance_requests")) ?? 0;
    await echo(randomUUID());
    await echo(randomUUID());
    expect(await target().stat("conformance_requests")).toBe(before + 2);
    expect(
      await eventually(
        target(),
        () => target().stat("conformance_inflight"),
        (v) => v === 0,
      ),
    ).toBe(0);
  });

  it("fires on_tick at the configured period", async () => {
    const before = (await target().stat("conformance_ticks")) ?? 0;
    await target().elapse(350);
    const after = await eventually(
      target(),
      () => target().stat("conformance_ticks"),
      (v) => (v ?? 0) > before,
    );
    expect(after).toBeGreaterThan(before);
  });

  it("calls on_log, then on_done, then on_delete for an HTTP stream", async () => {
    const tag = randomUUID();
    await echo(tag);
    const lines = await eventually(
      target(),
      async () => (await target().logs()).filter((l) => l.includes(tag) && / on_(log|done|delete) /.test(l)),
      (l) => l.length >= 3,
    );
    expect(lines.map((l) => /on_(log|done|delete)/.exec(l)?.[0])).toEqual(["on_log", "on_done", "on_delete"]);
  });

  it("answers with a local response (status, body, extra header) that passes the filter's own response path", async () => {
    const res = await target().request({ path: "/conformance/local", headers: [["x-conf-op", "local"]] });
    expect(res.status).toBe(418);
    expect(res.body).toBe("teapot");
    expect(header(res, "x-conf-local")).toBe("yes");
    expect(header(res, "x-conf-response-status-seen")).toBe("418");
  });

  it("dispatches http_call, delivers the response on the stream and continues it", async () => {
    const res = await target().request({ path: "/conformance/callout", headers: [["x-conf-op", "callout"]] });
    expect(res.status).toBe(200);
    expect(header(res, "x-conf-callout-dispatch")).toBe("Ok");
    expect(header(res, "x-conf-callout-status")).toBe("200");
    expect(header(res, "x-conf-callout-upstream")).toBe("callout");
    expect(header(res, "x-conf-callout-body-bytes")).toBe("true");
    expect(header(res, "x-conf-continue")).toBe("Ok");
    expect(header(res, "x-upstream")).toBe("app");
  });

  it("refuses http_call to an unknown cluster or without :authority (BadArgument) and goes on", async () => {
    const bad = await target().request({ path: "/c", headers: [["x-conf-op", "callout-bad-cluster"]] });
    expect(bad.status).toBe(200);
    expect(header(bad, "x-conf-callout-dispatch")).toBe("BadArgument");
    const noAuthority = await target().request({ path: "/c", headers: [["x-conf-op", "callout-no-authority"]] });
    expect(header(noAuthority, "x-conf-callout-dispatch")).toBe("BadArgument");
  });

  it("delivers a root context's own http_call response to the root", async () => {
    const before = (await target().stat("conformance_root_callouts")) ?? 0;
    const res = await target().request({ path: "/c", headers: [["x-conf-op", "root-callout"]] });
    expect(header(res, "x-conf-root-callout-dispatch")).toBe("Ok");
    const after = await eventually(
      target(),
      () => target().stat("conformance_root_callouts"),
      (v) => (v ?? 0) > before,
    );
    expect(after).toBeGreaterThan(before);
  });

  it("reads the buffered request body and replaces the response body", async () => {
    const res = await target().request({
      method: "POST",
      path: "/conformance/body",
      headers: [["x-conf-op", "body"]],
      body: "hello body",
    });
    expect(res.status).toBe(200);
    expect(header(res, "x-conf-request-body")).toBe("hello body");
    expect(header(res, "x-conf-request-body-length")).toBe("10");
    expect(header(res, "x-conf-request-body-slice")).toBe("body");
    expect(res.body).toMatch(/^<<conformance:[1-9]\d*>>$/);
  });

  it("replaces the whole response header map with set_header_map_pairs", async () => {
    const res = await target().request({ path: "/c", headers: [["x-conf-op", "setpairs"]] });
    expect(header(res, "x-conf-set-pairs-oversized")).toBe("SerializationFailure");
    expect(header(res, "x-conf-set-pairs")).toBe("Ok");
    expect(Number(header(res, "x-conf-pairs-count"))).toBeGreaterThan(2);
    expect(header(res, "x-upstream")).toBe("app");
  });

  it("resets the stream on close_stream", async () => {
    const res = await target().request({ path: "/c", headers: [["x-conf-op", "close"]] });
    expect(res.answered).toBe(false);
  });
}
