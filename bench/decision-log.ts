// In-process cost of one decision log line (authz-server/src/ops/decision-log.ts + redact.ts), the
// part of a logged check that the gRPC A/B attributes to logging. The record is a real one: the
// default policy's CheckService (identity enricher) checked the request of bench/load/authz-grpc.ts,
// once without credentials and once with a bearer token, a session cookie and a token parameter.
//
//   npm run bench:declog [-- --rounds 7 --iterations 30000] [--compare]
//
// Variants, interleaved per round (order reversed every other round) so machine noise hits all of
// them; the median CPU µs per call (process.cpuUsage) of the rounds is reported:
//   log line            the observer at sample rate 1: redaction, pino (serialise + write(2))
//   redaction only      createRedactor's function on the input
//   sampled out         the observer at sample rate 0 for an ordinary decision (nothing built)
//   JSON.stringify      serialising the input once: the floor of any line that contains it
//   structuredClone     a deep copy of the input, what redaction cost before it became copy-on-write
// With --compare, only two variants, to price redaction: the log line as the server writes it, and
// the same line with the input and result logged unredacted; the report is the median over rounds of
// each round's difference (µs of CPU that redaction adds to a logged check) and its share of the line.
// The log goes to /dev/null through pino's synchronous destination, as the server writes stdout.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import pino from "pino";
import { checkServiceOptions } from "../authz-server/src/app/check-options.ts";
import type { CheckRecord } from "../authz-server/src/check/check-record.ts";
import { CheckService } from "../authz-server/src/check/check-service.ts";
import { defaultConfig } from "../authz-server/src/config/schema.ts";
import { CheckRequestSchema } from "../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { IdentityEnricher } from "../authz-server/src/identity/identity-enricher.ts";
import { decisionLogger } from "../authz-server/src/ops/decision-log.ts";
import { createRedactor, redactValue } from "../authz-server/src/ops/redact.ts";
import { ActivePolicy } from "../authz-server/src/policy/active-policy.ts";
import { repoRoot } from "../scripts/lib/tools.ts";
import { numberOption } from "./lib/cli-args.ts";
import { median, sortedCopy } from "./lib/stats.ts";
import { SAMPLE_CHECK } from "./load/authz-grpc.ts";

const rounds = numberOption("rounds", 7);
const iterations = numberOption("iterations", 30_000);
const compare = process.argv.includes("--compare");

const plainHeaders = SAMPLE_CHECK.attributes.request.http.headers;
const secretPath = "/public/items?page=2&access_token=abc";
const withCredentials = {
  attributes: {
    ...SAMPLE_CHECK.attributes,
    request: {
      http: {
        ...SAMPLE_CHECK.attributes.request.http,
        path: secretPath,
        headers: {
          ...plainHeaders,
          ":path": secretPath,
          authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.",
          cookie: "session=xyz",
        },
      },
    },
  },
};

/** The record CheckService hands its observers (and returns) for `request` (protojson form). */
async function recordFor(service: CheckService, request: unknown): Promise<CheckRecord> {
  const { record } = await service.check(fromJson(CheckRequestSchema, request as JsonValue));
  if (!record.allowed) throw new Error(`benchmark request was denied: ${record.errorCode ?? "policy"}`);
  return record;
}

async function main(): Promise<void> {
  const policy = new ActivePolicy();
  await policy.activateFromFile(`${repoRoot}/build/policy/default.tar.gz`);
  const service = new CheckService(checkServiceOptions(defaultConfig(repoRoot)), {
    policy,
    enrichers: [new IdentityEnricher({ spiffe: true })],
  });
  const records: Record<string, CheckRecord> = {
    "no credentials": await recordFor(service, SAMPLE_CHECK),
    "bearer + cookie + token param": await recordFor(service, withCredentials),
  };
  const logger = pino(
    { level: "info", base: { service: "meshward-authz" } },
    pino.destination({ dest: "/dev/null", sync: true }),
  );
  const redact = createRedactor({ headers: ["authorization"] });
  const logged = decisionLogger(logger, { sampleRate: 1, redact });
  const sampledOut = decisionLogger(logger, { sampleRate: 0, redact });
  const unredacted = (record: CheckRecord) =>
    logger.info({ event: "decision", decision_id: record.decisionId, result: record.result, input: record.input });
  const redacted = (record: CheckRecord) =>
    logger.info({
      event: "decision",
      decision_id: record.decisionId,
      result: redactValue(record.result),
      input: redact(record.input),
    });

  console.log(`decision-log: ${rounds} rounds × ${iterations} calls, node ${process.version}`);
  if (!compare) console.log("record / variant".padEnd(52), "median CPU µs/call", " min");
  for (const [name, record] of Object.entries(records)) {
    const variants: Record<string, () => unknown> = compare
      ? { "line, redacted": () => redacted(record), "line, not redacted": () => unredacted(record) }
      : {
          "log line (sample rate 1)": () => logged(record),
          "redaction only": () => redact(record.input),
          "sampled out (rate 0)": () => sampledOut(record),
          "JSON.stringify(input)": () => JSON.stringify(record.input),
          "structuredClone(input)": () => structuredClone(record.input),
        };
    const cpu: Record<string, number[]> = {};
    for (const [v, fn] of Object.entries(variants)) {
      cpu[v] = [];
      for (let i = 0; i < 3000; i++) fn(); // warm-up (JIT)
    }
    for (let r = 0; r < rounds; r++) {
      const order = Object.entries(variants);
      if (r % 2 === 1) order.reverse();
      for (const [v, fn] of order) {
        const c0 = process.cpuUsage();
        for (let i = 0; i < iterations; i++) fn();
        const c = process.cpuUsage(c0);
        cpu[v]?.push((c.user + c.system) / iterations);
      }
    }
    console.log(`${name} (input ${JSON.stringify(record.input).length} bytes as JSON)`);
    if (compare) {
      const withRedaction = cpu["line, redacted"] ?? [];
      const without = cpu["line, not redacted"] ?? [];
      const cost = median(withRedaction.map((us, r) => us - (without[r] ?? Number.NaN)));
      console.log(
        `  redaction per logged check: ${cost.toFixed(2)} µs CPU (median of ${rounds} paired rounds), ` +
          `${((100 * cost) / median(withRedaction)).toFixed(0)} % of the redacted line ` +
          `(${median(withRedaction).toFixed(2)} vs ${median(without).toFixed(2)} µs)`,
      );
      continue;
    }
    for (const [v, xs] of Object.entries(cpu)) {
      console.log(
        `  ${v}`.padEnd(52),
        median(xs).toFixed(2).padStart(18),
        (sortedCopy(xs)[0] ?? Number.NaN).toFixed(2).padStart(5),
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
