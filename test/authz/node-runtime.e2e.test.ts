// The authz server process runs on the Node the suite runs on, read from the kernel
// (/proc/<pid>/exe), not from what the process says about itself. `npm run test:node24` runs the
// authz suites on the pinned Node 24 LTS and sets MESHWARD_EXPECT_NODE_MAJOR=24, so there this
// test proves the server itself ran on Node 24.
import { execFileSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { buildBundle } from "./helpers/opa-bundle.ts";

let authz: AuthzProcess | undefined;

beforeAll(async () => {
  authz = await startAuthzProcess(["--bundle", buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"] })]);
});

afterAll(async () => {
  await authz?.stop();
});

describe("authz server runtime", () => {
  it("runs on the suite's Node, and on the expected major where one is set", async () => {
    const exe = readlinkSync(`/proc/${authz?.process.pid}/exe`);
    const version = execFileSync(exe, ["--version"], { encoding: "utf8" }).trim();
    expect(version).toBe(process.version);
    const expected = process.env.MESHWARD_EXPECT_NODE_MAJOR;
    if (expected) expect(version.split(".")[0]).toBe(`v${expected}`);
    const ready = await fetch(`http://127.0.0.1:${authz?.httpPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});
