// json.match_schema / json.verify_schema beyond answer-for-answer parity (builtins-parity.test.ts):
// a policy calling them loads and decides through the real Wasm path; what Meshward does not
// reproduce fails closed (the builtin fails, the rule is undefined, the policy denies) where OPA
// would answer — each such case is checked against the OPA CLI so the difference stays deliberate;
// and no schema or document recurses or loops without bound.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonSchemaBuiltins } from "../../authz-server/src/policy/builtins/json-schema.ts";
import { parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { createEvaluator, type PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { parseRegoValue, type RegoValue } from "../../authz-server/src/policy/rego-value.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import type { EvaluationContext } from "../../authz-server/src/policy/wasm-host.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { readBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

const context: EvaluationContext = { nowNs: 0n, memo: new Map() };
const value = (json: string): RegoValue => parseRegoValue(json, { numberLiterals: true });

function match(document: string, schema: string): RegoValue | undefined {
  return jsonSchemaBuiltins["json.match_schema"]?.([value(document), value(schema)], context);
}

const POLICY = `package shop

import rego.v1

order_schema := {
  "type": "object",
  "required": ["sku", "quantity"],
  "properties": {
    "sku": {"type": "string", "pattern": "^[A-Z]{3}-\\\\d{4}$"},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
    "note": {"type": "string", "maxLength": 10}
  },
  "additionalProperties": false
}

default allow := false

allow if {
  [valid, _] := json.match_schema(input.body, order_schema)
  valid
}

errors := [e.error | some e in json.match_schema(input.body, order_schema)[1]]

# A keyword OPA ignores: Meshward refuses it, so this rule is never true.
strict_allow if {
  [valid, _] := json.match_schema(input.body, {"unevaluatedProperties": false})
  valid
}

schema_ok := json.verify_schema(input.schema)

# Limits written in the policy: the Wasm module holds the literals, the builtin must see their digits.
limits := json.match_schema(input.n, {"maximum": 2.5, "multipleOf": 0.1, "minimum": 0.000001, "enum": [1e2, 0.5, 2.55]})
`;

describe("a policy using json.match_schema, built with opa build -t wasm", () => {
  let policy: PolicyEvaluator;
  let dir: string;
  beforeAll(async () => {
    dir = scratchDir("mw-json-schema");
    writeFileSync(join(dir, "p.rego"), POLICY);
    const bundle = join(dir, "b.tar.gz");
    execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", "shop", "-o", bundle, join(dir, "p.rego")], { cwd: dir });
    policy = await createEvaluator(parseBundle(await unpackBundleArchive(readBundle(bundle))));
  }, 60_000);

  const decide = (input: Record<string, unknown>) => policy.evaluate(input, "shop") as Record<string, unknown>;

  it("allows a valid body and denies an invalid one with OPA's errors", () => {
    expect(decide({ body: { sku: "ABC-1234", quantity: 2 } }).allow).toBe(true);
    const denied = decide({ body: { sku: "abc", quantity: 0, extra: true } });
    expect(denied.allow).toBe(false);
    const input = JSON.stringify({ body: { sku: "abc", quantity: 0, extra: true } });
    writeFileSync(join(dir, "input.json"), input);
    const opa = JSON.parse(
      execFileSync(
        opaBinary(),
        ["eval", "-f", "json", "-d", join(dir, "p.rego"), "-i", join(dir, "input.json"), "data.shop.errors"],
        {
          encoding: "utf8",
        },
      ),
    ) as { result: { expressions: { value: string[] }[] }[] };
    const theirs = opa.result[0]?.expressions[0]?.value ?? [];
    // One error per key of the body comes in Go's map order in OPA; compared as sets.
    expect([...(denied.errors as string[])].sort()).toEqual([...theirs].sort());
    expect(theirs).toContain("quantity: Must be greater than or equal to 1");
  });

  it("denies when the schema uses a keyword it does not reproduce (OPA would ignore it and allow)", () => {
    expect(decide({ body: { sku: "ABC-1234", quantity: 2 } }).strict_allow).toBeUndefined();
  });

  it("reads the numbers written in the policy with their digits, as OPA does", () => {
    const inputs = ['"2.55"', '"0.0000001"', '"0.5"', '"100"', "[2.55]"];
    const ours = inputs.map((n) => decide({ n: JSON.parse(n) }).limits);
    const theirs = inputs.map((n) => {
      writeFileSync(join(dir, "n.json"), `{"n": ${n}}`);
      const out = JSON.parse(
        execFileSync(
          opaBinary(),
          ["eval", "-f", "json", "-d", join(dir, "p.rego"), "-i", join(dir, "n.json"), "data.shop.limits"],
          { encoding: "utf8" },
        ),
      ) as { result: { expressions: { value: unknown }[] }[] };
      return out.result[0]?.expressions[0]?.value;
    });
    expect(ours).toEqual(theirs);
    expect(ours.filter((r) => Array.isArray(r) && r[0] === true)).toHaveLength(1);
  });

  it("answers json.verify_schema for a schema from input", () => {
    expect(decide({ schema: { type: "string" } }).schema_ok).toEqual([true, null]);
    expect(decide({ schema: { minLength: -1 } }).schema_ok).toEqual([
      false,
      "jsonschema: minLength must be greater than or equal to 0",
    ]);
  });
});

/** Schemas OPA answers and Meshward refuses, with the word its error names. */
const REFUSED: [schema: string, names: RegExp][] = [
  ['{"unevaluatedProperties": false}', /unevaluatedProperties/],
  ['{"prefixItems": [{"type": "string"}]}', /prefixItems/],
  ['{"properties": {"a": {"dependentRequired": {"a": ["b"]}}}}', /dependentRequired/],
  ['{"format": "email"}', /format "email"/],
  ['{"pattern": "(?P<a>x)(?P<a>y)"}', /repeats a group name/],
  ['{"patternProperties": {"(?<a>x)|(?<a>y)": {}}}', /repeats a group name/],
  ['{"$ref": "https://example.com/other.json"}', /\$ref/],
  ['{"$ref": "#foo"}', /\$ref/],
  ['{"definitions": {"a": {"$id": "a.json"}}}', /identifier "a.json"/],
  ['{"$schema": "HTTP://json-schema.org/draft-04/schema#"}', /\$schema/],
  ['{"minimum": 0.123456789012345678901}', /minimum/],
];

describe("what the validator does not reproduce fails closed", () => {
  it.each(REFUSED)("%s: the builtin fails, naming what is unsupported", (schema, names) => {
    expect(() => match('{"a": 1}', schema)).toThrow(names);
    expect(() => jsonSchemaBuiltins["json.verify_schema"]?.([value(schema)], context)).toThrow(names);
  });

  it("where OPA answers these schemas (valid or not), so refusing is a deliberate difference", () => {
    const dir = scratchDir("mw-json-schema-refused");
    const rules = REFUSED.map((_, i) => `c${i} := json.verify_schema(input.s[${i}])`);
    writeFileSync(join(dir, "p.rego"), ["package r", "import rego.v1", ...rules, ""].join("\n"));
    writeFileSync(join(dir, "input.json"), `{"s": [${REFUSED.map(([s]) => s).join(",")}]}`);
    const out = JSON.parse(
      execFileSync(
        opaBinary(),
        ["eval", "-f", "json", "-d", join(dir, "p.rego"), "-i", join(dir, "input.json"), "data.r"],
        {
          encoding: "utf8",
        },
      ),
    ) as { result: { expressions: { value: Record<string, unknown> }[] }[] };
    const answers = out.result[0]?.expressions[0]?.value ?? {};
    expect(REFUSED.map((_, i) => Array.isArray(answers[`c${i}`]))).toEqual(REFUSED.map(() => true));
    // OPA ignores the newer keywords and the unchecked number digits entirely: it calls them valid.
    expect(answers.c0).toEqual([true, null]);
  });
});

describe("bounded work", () => {
  it("stops a $ref cycle that consumes no input (gojsonschema overflows its stack)", () => {
    expect(() => match('"1"', '{"$ref": "#"}')).toThrow(/deeper than/);
    expect(() => match('"1"', '{"anyOf": [{"$ref": "#"}]}')).toThrow(/deeper than/);
    expect(() =>
      match('"1"', '{"definitions": {"a": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}'),
    ).toThrow(/deeper than/);
  });

  it("follows a recursive schema as deep as the document goes", () => {
    const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
    expect(match(JSON.stringify(deep), '{"type": "array", "items": {"$ref": "#"}}')).toEqual([true, []]);
  });

  it("refuses documents and schemas nested beyond the limit", () => {
    const deep = `${"[".repeat(600)}${"]".repeat(600)}`;
    expect(() => match(JSON.stringify(deep), "{}")).toThrow(/nested deeper than/);
    const schema = `${'{"not":'.repeat(300)}{}${"}".repeat(300)}`;
    expect(() => match('"1"', JSON.stringify(schema))).toThrow(/deeper than/);
  });

  it("refuses number literals and exponents too large to compare cheaply", () => {
    expect(() => match(JSON.stringify(`1${"0".repeat(2000)}`), '{"maximum": 1}')).toThrow();
    expect(() => match('"1e5000"', '{"maximum": 1}')).toThrow(/out of range/);
    expect(match('"1e4000"', '{"maximum": 1}')).toEqual([false, [expect.objectContaining({ type: "number_lte" })]]);
  });

  it("stops combinators that would multiply the work beyond the step budget", () => {
    const definitions: Record<string, unknown> = { d0: { type: "string" } };
    for (let k = 1; k <= 30; k++) {
      definitions[`d${k}`] = { anyOf: [{ $ref: `#/definitions/d${k - 1}` }, { $ref: `#/definitions/d${k - 1}` }] };
    }
    const schema = JSON.stringify({ definitions, $ref: "#/definitions/d30" });
    expect(() => match('"1"', schema)).toThrow(/more than 1000000 steps/);
  });
});
