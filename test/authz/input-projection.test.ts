// Input projection (policy/input-paths.ts, TranslatedRequest.write with `keep`): the paths found in
// a policy's Rego, the refusals that keep the whole input, the bundle's manifest carrying them, and
// the property that makes it safe: with the projection every path the policy names has the same
// value, and both built bundles decide every request as they do with the whole input.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, fromJson, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { createEvaluator, type PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import {
  inputPathsMetadataOf,
  inputPathsOfSources,
  inputProjectionOf,
} from "../../authz-server/src/policy/input-paths.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { translateRequest } from "../../authz-server/src/translate/input.ts";
import type { InputProjection } from "../../authz-server/src/translate/input-projection.ts";
import { GrowableBytes, JsonWriter } from "../../authz-server/src/translate/json-writer.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { CORPUS, entrypointOf } from "../compat/corpus/cases.ts";
import { zeroTrustCases } from "../policy/zero-trust-cases.ts";
import { randomCheckRequest } from "../reliability/authz/requests.ts";
import { Random } from "../reliability/random.ts";
import { wasmEvaluatorOf } from "./helpers/opa-bundle.ts";

const module = (...lines: string[]) => ({ path: "p.rego", text: `package p\n${lines.join("\n")}\n` });
const pathsOf = (...lines: string[]) => inputPathsOfSources([module(...lines)]);

describe("the input paths a policy's Rego reads", () => {
  it("keeps each reference's string prefix, a shorter path covering longer ones", () => {
    expect(
      pathsOf(
        'allow if { input.attributes.request.http.method == "GET" }',
        'allow if { input.parsed_path[0] == input.attributes.request.http.headers["x-a"] }',
        "deny if { input.a.b; input.a.b.c; input.a.d[_].e }",
      ),
    ).toEqual([
      ["attributes", "request", "http", "method"],
      ["attributes", "request", "http", "headers", "x-a"],
      ["parsed_path"],
      ["a", "b"],
      ["a", "d"],
    ]);
  });

  it("follows imports, keys written in brackets, and references inside a reference", () => {
    expect(
      pathsOf(
        "import input.attributes.request as req",
        "x := req.http.method",
        'y := input["q"]["r"]',
        "z := input.m[input.k]",
      ),
    ).toEqual([["attributes", "request"], ["q", "r"], ["m"], ["k"]]);
  });

  it("refuses any use it cannot follow: then the whole input is written", () => {
    for (const line of [
      "x := input",
      "x := input[y]",
      "x := walk(input)",
      'x := object.get(input, "a", 1)',
      "x := 1 with input.a as 2",
      "x := 1 with input as {}",
      "f(v) := v\nx := f(input)",
      "x := [v | some v in input]",
      "import input",
    ]) {
      expect(pathsOf(line), line).toBeUndefined();
    }
  });

  it("refuses when a module does not parse (Rego v0, a form the parser does not take on)", () => {
    expect(pathsOf("allow { input.a }")).toBeUndefined();
    expect(inputPathsOfSources([module("x := input.a"), module("deny[msg] { msg := input.b }")])).toBeUndefined();
  });

  it("reads a manifest's paths only when they are a list of non-empty string lists", () => {
    expect(inputProjectionOf([["a", "b"], ["c"]])).toEqual(
      new Map<string, unknown>([
        ["a", new Map([["b", true]])],
        ["c", true],
      ]),
    );
    for (const bad of [
      undefined,
      null,
      "a",
      [["a"], []],
      [["a", 1]],
      [{}],
      Array.from({ length: 5000 }, () => ["a"]),
    ]) {
      expect(inputProjectionOf(bad), JSON.stringify(bad)?.slice(0, 40)).toBeUndefined();
    }
    expect(inputPathsMetadataOf({ meshward: { input_paths: [["a"]] } })).toEqual([["a"]]);
    expect(inputPathsMetadataOf(undefined)).toBeUndefined();
  });
});

/** The value at `path`, or undefined where the path leaves the document (as a Rego ref). */
function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function writtenJson(write: (w: JsonWriter) => void): unknown {
  const sink = new GrowableBytes();
  const w = new JsonWriter(sink, 0);
  write(w);
  return JSON.parse(new TextDecoder().decode(sink.bytes.subarray(0, w.pos)));
}

/** Every path of `value`'s objects, down to `depth` keys. */
function objectPaths(value: unknown, depth: number, prefix: string[] = []): string[][] {
  if (depth === 0 || typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.keys(value).flatMap((key) => {
    const path = [...prefix, key];
    return [path, ...objectPaths((value as Record<string, unknown>)[key], depth - 1, path)];
  });
}

describe("the input written with a projection", () => {
  it("gives every kept path the value the whole input has, and leaves the rest out (seeded requests)", () => {
    const rand = new Random(20261206);
    for (let i = 0; i < 300; i++) {
      const translated = translateRequestOrUndefined(randomCheckRequest(rand));
      if (!translated) continue;
      if (rand.chance(0.5))
        translated.meshward = { identity: { subject: "s", claims: { a: [1] } }, risk: { level: "low" } };
      const whole = writtenJson((w) => translated.write(w));
      const candidates = objectPaths(whole, 6);
      const paths = Array.from({ length: rand.int(1, 6) }, () => rand.pick(candidates) as string[]);
      paths.push(["attributes", "request", "http", "headers", "no-such-header"]);
      const keep = inputProjectionOf(paths) as InputProjection;
      const projected = writtenJson((w) => translated.write(w, keep));
      for (const path of paths) expect(at(projected, path), path.join(".")).toEqual(at(whole, path));
      for (const key of Object.keys(projected as object)) expect(keep.has(key), key).toBe(true);
    }
  });
});

function translateRequestOrUndefined(request: ReturnType<typeof randomCheckRequest>) {
  try {
    return translateRequest(request);
  } catch {
    return undefined; // a request the server denies before the policy (MW_REQUEST_PARSE)
  }
}

describe("both built bundles decide as with the whole input", () => {
  let out = "";
  const evaluators = new Map<string, PolicyEvaluator>();

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "meshward-projection-"));
    const build = spawnSync(process.execPath, ["--import", "tsx", "scripts/build-policy.ts", "--out", out], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    for (const name of ["default", "zero-trust"]) {
      const bundle = parseBundle(await unpackBundleArchive(readFileSync(join(out, `${name}.tar.gz`))));
      evaluators.set(name, await createEvaluator(bundle));
    }
  }, 120_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("carries the paths its sources read in the signed manifest", () => {
    expect(evaluators.get("default")?.inputProjection).toEqual(
      inputProjectionOf([["attributes", "request", "http", "method"], ["parsed_path"]]),
    );
    const zeroTrust = evaluators.get("zero-trust")?.inputProjection;
    expect(zeroTrust?.has("meshward")).toBe(true);
    expect(zeroTrust?.has("parsed_body")).toBe(false);
  });

  it("decides the zero-trust cases and seeded hostile requests the same, allows included", () => {
    const rand = new Random(4242);
    const requests = zeroTrustCases.map((c) => {
      const http = at(c.input, ["attributes", "request", "http"]) as Record<string, unknown>;
      const principal = at(c.input, ["attributes", "source", "principal"]) as string | undefined;
      const request = create(CheckRequestSchema, {
        attributes: {
          request: { http: { ...(http as object), id: String(http.id) } },
          ...(principal ? { source: { principal } } : {}),
        },
      });
      return { request, meshward: c.input.meshward as Record<string, unknown> | undefined };
    });
    for (let i = 0; i < 300; i++) {
      // Through the wire, as the server receives them: a lone surrogate becomes U+FFFD.
      const request = fromBinary(CheckRequestSchema, toBinary(CheckRequestSchema, randomCheckRequest(rand)));
      requests.push({ request, meshward: rand.pick(zeroTrustCases).input.meshward as never });
    }
    const counts = { allowed: 0, decisions: 0 };
    for (const [name, evaluator] of evaluators) {
      const keep = evaluator.inputProjection;
      expect(keep).toBeDefined();
      for (const entrypoint of evaluator.entrypoints) {
        for (const { request, meshward } of requests) {
          const translated = translateRequestOrUndefined(request);
          if (!translated) continue;
          translated.meshward = meshward;
          const whole = evaluator.evaluateWritten((w) => translated.write(w), entrypoint);
          const projected = evaluator.evaluateWritten((w) => translated.write(w, keep), entrypoint);
          expect(projected, `${name} ${entrypoint}`).toEqual(whole);
          counts.decisions++;
          if (whole === true || (whole as { allowed?: boolean })?.allowed === true) counts.allowed++;
        }
      }
    }
    expect(counts.allowed).toBeGreaterThan(10);
    expect(counts.decisions, JSON.stringify(counts)).toBeGreaterThan(500);
  });
});

describe("opa-envoy-plugin corpus policies the analysis can follow", () => {
  it("decide every recorded case the same with the projection as with the whole input", async () => {
    const dir = join(repoRoot, "test/compat/corpus/policies");
    let compared = 0;
    let projectable = 0;
    for (const policy of new Set(CORPUS.map((c) => c.policy))) {
      const file = join(dir, `${policy}.rego`);
      const paths = inputPathsOfSources([{ path: file, text: readFileSync(file, "utf8") }]);
      if (paths === undefined) continue; // echo, results, iteration: they read `input` whole
      projectable++;
      const keep = inputProjectionOf(paths);
      const evaluator = await wasmEvaluatorOf(file, entrypointOf(policy));
      for (const c of CORPUS.filter((x) => x.policy === policy)) {
        const request = fromJson(CheckRequestSchema, c.request);
        let translated: ReturnType<typeof translateRequest>;
        try {
          translated = translateRequest(request, { skipBodyParse: c.skipBodyParse === true });
        } catch {
          continue; // denied before the policy (MW_REQUEST_PARSE), as opa-envoy answers 400
        }
        // failures.rego fails on purpose (a rule conflict): the same failure counts as the same answer.
        const outcome = (keepOrNot: typeof keep) => {
          try {
            return { result: evaluator.evaluateWritten((w) => translated.write(w, keepOrNot), entrypointOf(policy)) };
          } catch (err) {
            return { error: (err as Error).message };
          }
        };
        expect(outcome(keep), c.id).toEqual(outcome(undefined));
        compared++;
      }
    }
    expect(projectable).toBeGreaterThanOrEqual(3);
    expect(compared).toBeGreaterThan(15);
  }, 60_000);
});
