// The multi-process mode for real: the server process with `--workers 2` forks two workers sharing
// the gRPC and HTTP ports, both serve checks arriving on separate connections, /metrics (served by
// whichever worker gets the scrape) counts every worker's checks, a killed worker is replaced, and
// SIGTERM stops them all.

import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Authorization,
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { toGrpcServiceDefinition } from "../../authz-server/src/transport/grpc-adapter.ts";
import { cpuTicks, descendants } from "../../bench/lib/proc-cpu.ts";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";

let authz: AuthzProcess;

beforeAll(async () => {
  authz = await startAuthzProcess(["--workers", "2", "--log-level", "warn"], {
    env: { MESHWARD_AUTHZ_LOGGING_DECISIONS_ENABLED: "false" },
  });
}, 60_000);

afterAll(() => authz?.stop());

type CheckClient = grpc.Client & {
  check(r: CheckRequest, o: grpc.CallOptions, cb: (e: Error | null, r: CheckResponse) => void): void;
};

/** A client on a connection of its own (no subchannel shared with other clients). */
function client(): CheckClient {
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(Authorization), "Authorization");
  return new Client(`127.0.0.1:${authz.grpcPort}`, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  }) as unknown as CheckClient;
}

const request = create(CheckRequestSchema, {
  attributes: { request: { http: { method: "GET", path: "/public/a", headers: { ":path": "/public/a" } } } },
});

function check(c: CheckClient): Promise<CheckResponse> {
  return new Promise((resolve, reject) =>
    c.check(request, { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

async function checksTotal(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${authz.httpPort}/metrics`)).text();
  return Number(/^meshward_authz_checks_total\{result="allow"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** The worker processes: the server's children that run main.ts. Other descendants exist too (tsx's
 * esbuild service, which a cold transform cache starts under each Node process) and are not workers. */
const workerPids = () =>
  descendants(authz.process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("authz-server/src/main.ts");
    } catch {
      return false; // exited meanwhile
    }
  });

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("workers: 2", () => {
  it("runs two workers that both serve checks from separate connections; /metrics sums them", async () => {
    const pids = workerPids();
    expect(pids).toHaveLength(2);
    const before = pids.map(cpuTicks);
    const clients = Array.from({ length: 8 }, client);
    for (let round = 0; round < 50; round++) {
      const answers = await Promise.all(clients.map(check));
      for (const a of answers) expect(a.status?.code).toBe(0);
    }
    for (const c of clients) c.close();
    // Connections are handed round robin to the workers: each worked (CPU ticks moved).
    pids.forEach((pid, i) => {
      expect(cpuTicks(pid)).toBeGreaterThan(before[i] as number);
    });
    // Every scrape, whichever worker answers it, counts all 400 checks.
    for (let i = 0; i < 4; i++) expect(await checksTotal()).toBe(400);
  });

  it("replaces a worker that dies; new connections are served by both again", async () => {
    const [victim, survivor] = workerPids() as [number, number];
    process.kill(victim, "SIGKILL");
    await authz.process.waitForLine(/"event":"worker_exit"/, 10_000);
    await until("a replacement worker", () => {
      const now = workerPids();
      return now.length === 2 && !now.includes(victim) && now.includes(survivor);
    });
    await authz.process.waitForLine(/"event":"worker_ready"/, 30_000);
    const clients = Array.from({ length: 4 }, client);
    for (const c of clients) expect((await check(c)).status?.code).toBe(0);
    for (const c of clients) c.close();
  });

  it("stops every worker on SIGTERM", async () => {
    const pids = workerPids();
    await authz.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
