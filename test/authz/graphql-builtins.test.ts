// A policy that allows a request only for a GraphQL query valid against its schema, compiled by
// the pinned OPA to Wasm and evaluated by Meshward (the parity of every graphql.* builtin with
// `opa eval` is in builtins-parity.test.ts). Here: the decision a real policy takes, and hostile
// queries — too long, too deep, too costly to validate — that must end in a deny, not a hang or a
// crash of the evaluation.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_AST_VALUES } from "../../authz-server/src/policy/builtins/graphql/go-structs.ts";
import { graphqlBuiltins, MAX_QUERY_TEXT } from "../../authz-server/src/policy/builtins/graphql.ts";
import { parseBundle } from "../../authz-server/src/policy/bundle.ts";
import { createEvaluator, type PolicyEvaluator } from "../../authz-server/src/policy/evaluator.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { opaBinary } from "../../scripts/lib/tools.ts";
import { readBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

const POLICY = `package graphqlgate

import rego.v1

schema := \`
type Query { user(id: ID!): User, users(first: Int): [User] }
type User { id: ID!, name: String, friends: [User] }
\`

default allow := false

allow if graphql.is_valid(input.query, schema)

# What the query asks for, from its AST (fields of the first operation).
fields contains f.Name if {
  [valid, query, _] := graphql.parse_and_verify(input.query, schema)
  valid
  some f in query.Operations[0].SelectionSet
}

depth_ok if graphql.parse_query(input.query)
`;

let policy: PolicyEvaluator;

beforeAll(async () => {
  const dir = scratchDir("mw-graphql");
  writeFileSync(join(dir, "p.rego"), POLICY);
  const bundle = join(dir, "b.tar.gz");
  execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", "graphqlgate", "-o", bundle, join(dir, "p.rego")], {
    cwd: dir,
  });
  policy = await createEvaluator(parseBundle(await unpackBundleArchive(readBundle(bundle))));
}, 60_000);

type Answer = { allow: boolean; fields?: string[]; depth_ok?: boolean };
const decide = (query: unknown) => policy.evaluate({ query }, "graphqlgate") as Answer;

const nested = (levels: number) => `{ user(id: 1) ${"{ friends ".repeat(levels)}{ id }${" }".repeat(levels)} }`;

describe("a policy gating GraphQL queries with graphql.is_valid", () => {
  it("allows a valid query and denies invalid ones", () => {
    expect(decide("{ user(id: 1) { id name } }")).toMatchObject({ allow: true, fields: ["user"] });
    expect(decide('query Q($n: Int) { users(first: $n) { id } a: user(id: "x") { name } }').fields?.sort()).toEqual([
      "user",
      "users",
    ]);
    expect(decide("{ user(id: 1) { password } }").allow).toBe(false);
    expect(decide("{ user { id } }").allow).toBe(false);
    expect(decide("{ user(id: 1) { id }").allow).toBe(false);
    expect(decide("mutation { user(id: 1) { id } }").allow).toBe(false);
    expect(decide(42).allow).toBe(false);
  });

  it("denies a query longer than the cap without parsing it", () => {
    const long = `{ user(id: 1) { id } }${" ".repeat(MAX_QUERY_TEXT)}`;
    expect(decide(long)).toMatchObject({ allow: false, fields: [] });
    expect(decide(long).depth_ok).toBeUndefined();
  });

  it("denies a query nested deeper than gqlparser's 1000 levels, as OPA does", () => {
    expect(decide(nested(998))).toMatchObject({ allow: true });
    expect(decide(nested(1000)).allow).toBe(false);
    expect(decide(`${"{".repeat(200_000)}`).allow).toBe(false);
    expect(decide(`{ user(id: ${"[".repeat(200_000)}1) { id } }`).allow).toBe(false);
  });

  it("answers no AST deeper than the host hands to the policy (undefined, a documented difference)", () => {
    // Each level of selections is two levels of the AST (the selection set and the field).
    expect(decide(nested(290)).depth_ok).toBe(true);
    expect(decide(nested(310)).depth_ok).toBeUndefined();
    expect(decide(nested(310)).allow).toBe(true);
  });

  it("answers no AST of more than MAX_AST_VALUES values (undefined), where a 1 MiB one took 20 s and 500 MiB", () => {
    const flat = (n: number) => `{ ${"user(id: 1) { id } ".repeat(n)}}`;
    expect(decide(flat(2_000)).depth_ok).toBe(true);
    const large = flat(12_000);
    expect(large.length).toBeLessThan(MAX_QUERY_TEXT);
    expect(decide(large).depth_ok).toBeUndefined();
    expect(decide(large).fields).toEqual([]);
    expect(() => graphqlBuiltins["graphql.parse_query"]?.([large], { nowNs: 0n, memo: new Map() })).toThrow(
      `graphql: AST of more than ${MAX_AST_VALUES} values`,
    );
  });

  it("stops validating a query whose field merging exceeds graphql-js's work budget (a deny)", () => {
    const repeated = `{ ${"users(first: 1) { id } ".repeat(2_000)} }`;
    expect(decide(repeated)).toMatchObject({ allow: false, fields: [], depth_ok: true });
  });
});
