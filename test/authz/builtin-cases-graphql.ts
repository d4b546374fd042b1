// Calls of the graphql.* builtins (builtins-parity.test.ts runs them through the OPA CLI and
// Meshward): queries with variables, fragments, directives, aliases and every value kind; invalid
// queries; schemas with every kind of definition and extension; invalid schemas; comments (which
// gqlparser attaches to nodes); ASTs given back as objects; wrong types and hostile nesting.
import type { BuiltinCase } from "./builtin-cases.ts";

const c = (name: string, ...args: unknown[]): BuiltinCase => ({ name, args });

const SCHEMA = `
"The root"
type Query {
  user(id: ID!, active: Boolean = true): User
  users(filter: UserFilter, first: Int, order: Order): [User!]!
  node(id: ID!): Node
  extra: Extra
  search(text: String!): [SearchResult]
  scores(values: [Float!]): Float
}
type Mutation { rename(id: ID!, name: String!): User }
type Extra { at(d: Date, r: Required, ids: [ID!]): Int, one(o: One): Int }
input One @oneOf { a: Int, b: String }
interface Node { id: ID! }
type User implements Node @key(fields: "id") {
  id: ID!
  name: String @deprecated(reason: "use fullName")
  fullName: String
  friends(first: Int = 10): [User]
  role: Role
}
type Group implements Node { id: ID! members: [User] }
union SearchResult = User | Group
enum Role { ADMIN USER GUEST }
enum Order { ASC DESC }
input UserFilter { name: String, role: Role = USER, nested: UserFilter }
input Required { must: Int!, maybe: Int = 1 }
scalar Date
directive @key(fields: String!) repeatable on OBJECT | INTERFACE
directive @audit(level: Int) on FIELD | QUERY
extend type User { joined: Date }
schema { query: Query mutation: Mutation }
`;

const SIMPLE_SCHEMA = "type Query { a: Int b(x: Int): String }";

const VALID_QUERIES = [
  "{ user(id: 1) { id name } }",
  "query Q($id: ID!) { user(id: $id) { id ...F } } fragment F on User { fullName role }",
  'query ($f: UserFilter = {name: "x", role: ADMIN}) { users(filter: $f, first: 3, order: null) { id } }',
  "{ a: user(id: 1) { id } b: user(id: 2) { id } }",
  "{ node(id: 1) { id ... on User { name } ... on Group { members { id } } } }",
  '{ search(text: "x") { __typename ... on User { id } } }',
  "{ scores(values: [1, 2.5, -3e2]) }",
  'query @audit(level: 2) { user(id: "1") @include(if: true) { id @skip(if: false) } }',
  'mutation M { rename(id: 1, name: """block\n  text""") { id } }',
  '{ users(filter: {name: "a\\u00e9\\n", nested: {role: GUEST}}) { friends(first: 2) { id } } }',
  "query A { user(id: 1) { id } } query B { user(id: 2) { name } }",
  "{ __schema { queryType { name } } }",
];

const INVALID_QUERIES = [
  "{ user(id: 1) { unknown } }",
  "{ user(id: true) { id } }",
  "{ user(id: 1) { ...Missing } }",
  "{ user(id: 1) { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
  "query ($x: Int) { user(id: 1) { id } }",
  "{ user(id: $undefined) { id } }",
  "{ user(id: 1) }",
  "{ user { id } }",
  "{ user(id: 1, nope: 2) { id } }",
  "{ user(id: 1) @unknown { id } }",
  "{ a } { b }",
  "query A { user(id: 1) { id } } query A { user(id: 2) { id } }",
  "{ user(id: 1) { name: id name } }",
  "subscription { user(id: 1) { id } }",
  "{ users(filter: {unknownField: 1}) { id } }",
  "fragment F on User { id } { user(id: 1) { id } }",
  "{ node(id: 1) { ... on Role { id } } }",
  "{ scores(values: 99999999999) }",
  '{ scores(values: ["x"]) }',
  '{ users(order: "ASC") { id } }',
  "{ user(id: null) { id } }",
  "query ($x: ID) { user(id: $x) { id } }",
  "query ($x: ID = 1) { user(id: $x) { id } }",
  "query ($u: User) { user(id: 1) { id } }",
  "query ($u: Nope) { user(id: 1) { id } }",
  "query ($x: ID!, $x: ID!) { user(id: $x) { id } }",
  "{ user(id: 1) { id @deprecated } }",
  "{ user(id: 1) @include(if: true) @include(if: false) { id } }",
  '{ users(filter: {name: "a", name: "b"}) { id } }',
  "{ user(id: 1, id: 2) { id } }",
  '{ search(text: "x") { id } }',
  '{ search(text: "x") { ... on User { role: id } ... on Group { role: members { id } } } }',
  "{ user(id: 1) { friends(first: 1.5) { id } } }",
  "{ user(id: 1) { role { x } } }",
  "fragment F on Nope { id } { user(id: 1) { ...F } }",
  "fragment F on Role { id } { user(id: 1) { ...F } }",
  "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }",
  '{ __type(name: "User") { name } }',
  "mutation { rename(id: 1, name: 2) { id } }",
  "{ scores(values: [1.0, null]) }",
  "{ user(id: 1.5) { id } }",
  'query ($x: Int = "s") { scores(values: [1]) }',
  '{ extra { at(d: {any: [1, "x"]}) } }',
  "{ extra { at(r: {maybe: 2}) } }",
  "{ extra { at(r: {must: 1, maybe: null}) } }",
  '{ extra { at(ids: [1, "2", 3.5]) } }',
  "{ extra { at(ids: [1, null]) } }",
  "{ users(order: true) { id } }",
  "query ($r: Required!) { extra { at(r: $r) } }",
  "query ($i: [ID]) { extra { at(ids: $i) } }",
  "query ($i: ID!) { extra { at(ids: [$i]) } }",
  "{ __typename }",
  "subscription S { user(id: 1) { id } }",
  "{ user(id: 1) { id } } query Named { user(id: 2) { id } }",
  "{ user(id: 1) { id } } fragment Unused on User { id }",
  "{ user(id: 1) { ...G } } fragment G on Group { id }",
  "{ user(id: 1) { ... @defer { id } } }",
  '{ user(id: 1) { ... @defer(label: "x") { id } } }',
  "{ users(filter: {name: null}) { id } }",
  "query ($f: UserFilter) { users(filter: {nested: $f}) { id } }",
  "query ($n: String) { users(filter: {name: $n, role: ADMIN}) { id } }",
  "{ user(id: 1) { ... on Node { id } } }",
  "{ node(id: 1) { ... on SearchResult { __typename } } }",
  "{ user(id: 1) { friends { friends { friends { name } } } } }",
  "{ u1: user(id: 1) { id } u1: user(id: 1) { name } }",
  "{ u1: user(id: 1) { id } u1: node(id: 1) { id } }",
  "{ extra { one(o: {a: 1}) } }",
  '{ extra { one(o: {a: 1, b: "x"}) } }',
  "{ extra { one(o: {a: null}) } }",
  "query ($a: Int) { extra { one(o: {a: $a}) } }",
];

const SCHEMAS_VALID = [
  SCHEMA,
  SIMPLE_SCHEMA,
  "schema { query: Root } type Root { ok: Boolean }",
  "type Query { a: Int } extend type Query { b: Int } extend schema @d directive @d on SCHEMA",
  'type Query { e: E } enum E { A B @deprecated(reason: "no") } extend enum E { C }',
  "type Query { u: U } union U = A | B type A { a: Int } type B { b: Int } extend union U = C type C { c: Int }",
  "type Query { i: I } interface I { x: Int } interface J implements I { x: Int } type T implements I & J { x: Int }",
  'input In { a: Int = 1, b: [String!] = ["x"] } type Query { f(in: In): Int }',
  '"""\n  Block description\n    indented\n""" type Query { a: Int }',
];

const SCHEMAS_INVALID = [
  "type Query { a: Unknown }",
  "type Query { a: Int } type Query { b: Int }",
  "type Query { a: Int } extend type Missing { b: Int }",
  "type Query { a: Int } type T implements Query { a: Int }",
  "type Query { u: U } union U = Int",
  "type Query { a: Int @undefined }",
  "type Query { a(x: Query): Int }",
  "type Query { a: Int } input I { o: Query }",
  "type Query {",
  "type Query { a: Int } directive @d on NOWHERE",
  "enum E { } type Query { a: Int }",
  "type Query { i: I } interface I { x: Int } type T implements I { y: Int }",
  'type Query { a(x: Int = "s"): Int }',
  "type Query { a: Int a: String }",
  "type Query { a(x: Int, x: Int): Int }",
  "enum E { A A } type Query { a: E }",
  "type Query { __a: Int }",
  "type Query { a: Int @deprecated @deprecated }",
  "type Query { a: Int @deprecated(reason: 1) }",
  'type Query { a: Int @deprecated(nope: "x") }',
  "scalar S @specifiedBy type Query { a: S }",
  "input A { b: B! } input B { a: A! } type Query { f(a: A): Int }",
  "type Query { i: I } interface I { x(a: Int): Int } type T implements I { x: Int }",
  "type Query { i: I } interface I { x: Int } type T implements I { x: String }",
  "schema { query: I } interface I { x: Int }",
  "schema { query: Q } schema { query: Q } type Q { a: Int }",
  "schema { query: Q query: Q } type Q { a: Int }",
  "schema { query: Missing }",
  "scalar Int type Query { a: Int }",
  "directive @skip(if: Boolean!) on FIELD type Query { a: Int }",
  "directive @d on FIELD directive @d on FIELD type Query { a: Int }",
  "type Query { a: Int } extend scalar Query @d directive @d on SCALAR",
  "union U = A type A { a: Int } type Query { u: U } extend union U = A",
  "type Query { a: Int @d } directive @d on FIELD",
  "type Query { a: [Int] = [1] }",
  "enum E { true } type Query { a: E }",
  "type Query { a: Int } type Mutation { m: Int } extend schema { mutation: Mutation }",
  "type Query @d { a: Int } extend type Query @d directive @d repeatable on OBJECT",
  "directive @d(a: Int @d) on ARGUMENT_DEFINITION type Query { a: Int }",
  "type Query { a: Int @deprecated(reason: [1]) }",
  "scalar S @specifiedBy(url: 5) type Query { a: S }",
  "scalar S @specifiedBy(url: null) type Query { a: S }",
  "input I @oneOf { a: Int b: String } type Query { f(i: I): Int }",
  "type Query { a: Int } type Subscription { s: Int }",
  "type Query @d @d { a: Int } directive @d on OBJECT",
  "type Query @d @d(x: 1) { a: Int } directive @d on OBJECT",
  "type Query @d @d { a: Int } directive @d(x: Int!) on OBJECT",
  "schema @d { query: Query } extend schema @d directive @d on SCHEMA type Query { a: Int }",
  "schema @d @d { query: Query } directive @d on SCHEMA type Query { a: Int }",
  "directive @d @deprecated on FIELD type Query { a: Int }",
  "directive @d @deprecated @deprecated on FIELD type Query { a: Int }",
  "directive @d @skip(if: true) on FIELD type Query { a: Int }",
  "type Query { a: Int } extend directive @deprecated @deprecated",
  "type Query { a: Int } extend directive @nope @deprecated",
  "type Query { a: Int } directive @x on FIELD extend directive @x @deprecated(reason: null)",
  "type Query { a: Int @x(v: null) } directive @x(v: Int!) on FIELD_DEFINITION",
  "type Query { a: Int @x(v: {a: 1, a: 2}) } directive @x(v: In) on FIELD_DEFINITION input In { a: Int }",
  'type Query { a: Int } extend scalar String @specifiedBy(url: "x")',
  "type Query { a: Int } extend scalar String @specifiedBy",
  "type Query { a: Int } extend type String { x: Int }",
  "directive @skip(if: Boolean!) on FIELD directive @skip(if: Boolean!) on FIELD type Query { a: Int }",
  "directive @deprecated on FIELD type Query { a: Int @deprecated }",
  "type Query { a: Int } extend type Query { a: Int }",
  "enum E { A } extend enum E { A } type Query { e: E }",
  "interface I implements I { a: Int } type Query { i: I }",
  "union U = A | A type A { a: Int } type Query { u: U }",
  "input I { b: Int! = null } type Query { a(x: I): Int }",
  "type Query { __typename: String }",
  "type Query { a: Int } extend type Query @deprecated",
  "interface I { a: Int } type Query implements I { a: Int! }",
  "interface I { a: Int! } type Query implements I { a: Int }",
];

const SYNTAX = [
  "",
  "   # only a comment",
  "{ a",
  "{ a(x: 1a) }",
  "{ a(x: 01) }",
  '{ a(x: "unterminated) }',
  '{ a(x: "\\u{1F600}") }',
  '{ a(x: "\\ud83d\\ude00 \\ud800") }',
  "{ a(x: 'single') }",
  "type Query { a: Int }",
  "{ a } # trailing comment",
  "# lead\nquery Q { # after brace\n  a # after field\n  # before b\n  b(x: 1) }",
  '"described" query Q { a }',
  '"described" { a }',
  "{ ... { a } ... on Query @skip(if: true) { b } }",
  "{ a(x: [[1], [2, [3]]], y: {a: {b: {c: null}}}) }",
  "query ($v: [[Int!]!] = [[1]] @dir) { a }",
  "{ a(x: -0, y: 1.5e-3, z: 0.0, e: ENUM_VALUE, t: true, f: false) }",
  "fragment F($x: Int) on Query { a }",
  "\ufeff{ a }",
  "{ a\r\n b\r c }",
  "# before an anonymous operation ਊ\n{ a }",
  "query ($v: Int) { a(x: # before a variable\n $v, y: # before a list\n [1]) }",
  '# 1\n# 2\nquery Q(\n# v\n$a: Int # after type\n = 1, "desc" $b: [Int] # x\n) @d # dd\n{ # s\n a(x: # arg\n [1, # in list\n {k: # in obj\n 2}]) ... # spread\n F ... # inline\n on T { b } } # end\n# tail',
  '"fragment desc" fragment F on T { a } # c\n"""op""" mutation { b }',
  '{ a(x: "\\u00e9\\t\\"\\/\\b\\f\\r\\\\") }',
  '{ a(x: "\\q") }',
  '{ a(x: "\\u{110000}") }',
  '{ a(x: "\\u{}") }',
  '{ a(x: """a \\""" b""") }',
  '{ a(x: """  a\n    b\n  c  """) }',
];

const SCHEMA_SYNTAX = [
  "# top comment\ntype Query { # c1\n  a: Int # c2\n  # c3\n  b: Int\n} # end",
  '"""doc""" type Query @a(x: 1) { "field" f(arg: Int = 1 @d): Int }',
  'extend scalar Date @specifiedBy(url: "x")',
  "extend type Query",
  "extend input I @d",
  "extend directive @d @x",
  '"desc" extend type Query { a: Int }',
  "directive @d(a: Int = 1) repeatable on | FIELD | QUERY",
  "type Query implements & A & B { a: Int }",
  "union U = | A | B",
  "schema @d { query: Q, mutation: M, subscription: S }",
  "scalar S enum E { A } input I { a: Int }",
  "type Query { a: Int } query { a }",
  '# doc comment\n"desc" # between\ntype T # after name\n implements I # i\n @d # dir\n { # open\n "fd" # fdc\n f(\n # arg\n a: Int = 1 # default\n ): Int # ftype\n # before close\n } # after close\nenum E { # e\n A # a\n "bd" B }\nunion U # u\n = A | B\ninput In { # in\n x: Int }\nextend # ext\n type T { g: Int }\nschema # s\n { query: T # q\n }\ndirective # d\n @x on FIELD',
];

/** Schemas OPA judges and Meshward refuses to (graphql-js has no way to express them). */
const SCHEMAS_MESHWARD_FAILS: [string, string][] = [
  ["type Query { a: Int } extend type __Schema { x: Int }", "an extension of a built-in introspection type"],
];

const deep = (n: number) => `${"{ a ".repeat(n)}${"}".repeat(n)}`;
const deepList = (n: number) => `{ a(x: ${"[".repeat(n)}1${"]".repeat(n)}) }`;

export function graphqlCases(): BuiltinCase[] {
  const cases: BuiltinCase[] = [];
  for (const q of [...VALID_QUERIES, ...INVALID_QUERIES]) {
    cases.push(c("graphql.is_valid", q, SCHEMA));
    cases.push(c("graphql.parse_and_verify", q, SCHEMA));
  }
  for (const q of VALID_QUERIES.slice(0, 6)) cases.push(c("graphql.parse", q, SCHEMA));
  cases.push(c("graphql.parse", INVALID_QUERIES[0], SCHEMA));
  for (const q of [...VALID_QUERIES, ...INVALID_QUERIES, ...SYNTAX]) cases.push(c("graphql.parse_query", q));
  for (const s of [...SCHEMAS_VALID, ...SCHEMAS_INVALID, ...SCHEMA_SYNTAX]) {
    cases.push(c("graphql.schema_is_valid", s));
    cases.push(c("graphql.parse_schema", s));
  }
  for (const [s, reason] of SCHEMAS_MESHWARD_FAILS) {
    cases.push({ name: "graphql.schema_is_valid", args: [s], meshwardFails: reason });
    cases.push(c("graphql.parse_schema", s));
  }
  for (const q of SYNTAX)
    cases.push(
      c(
        "graphql.is_valid",
        q,
        "type Query { a(x: Int, y: Float, z: Float, e: String, t: Boolean, f: Boolean): Int b: Int c: Int }",
      ),
    );
  // Wrong types.
  cases.push(c("graphql.parse_query", 1), c("graphql.parse_schema", ["x"]));
  cases.push(c("graphql.is_valid", 1, SIMPLE_SCHEMA), c("graphql.is_valid", "{ a }", null));
  cases.push(
    c("graphql.schema_is_valid", 5),
    c("graphql.parse", "{ a }", 5),
    c("graphql.parse_and_verify", 5, SIMPLE_SCHEMA),
  );
  // Nesting: gqlparser stops at 1000 levels.
  cases.push(c("graphql.parse_query", deep(250)), c("graphql.is_valid", deep(1001), SIMPLE_SCHEMA));
  cases.push(c("graphql.is_valid", deep(999), "type Query { a: Query }"));
  cases.push(c("graphql.parse_query", deepList(150)), c("graphql.parse_query", deepList(1000)));
  return cases;
}

/** Cases whose arguments are ASTs that OPA itself produced (graphql.parse_query / parse_schema of
 *  the text), written as Rego expressions around the call. */
export function graphqlAstCases(): BuiltinCase[] {
  const viaQueryAst = (q: string, name: string) => ({
    name,
    args: [q, SCHEMA],
    around: (call: string) => call.replace(/\((input\.c\d+\[0\])/, "(graphql.parse_query($1)"),
  });
  const viaSchemaAst = (q: string, name: string) => ({
    name,
    args: [q, SCHEMA],
    around: (call: string) => call.replace(/(input\.c\d+\[1\])\)$/, "graphql.parse_schema($1))"),
  });
  return [
    viaQueryAst("{ user(id: 1) { id name } }", "graphql.is_valid"),
    viaQueryAst("{ user(id: 1) { ...F } } fragment F on User { id }", "graphql.is_valid"),
    viaQueryAst("{ user(id: 1) { ... on User { id } } }", "graphql.is_valid"),
    viaQueryAst("{ user(id: 1) { nope } }", "graphql.is_valid"),
    viaQueryAst("query ($id: ID!) { user(id: $id) { id } }", "graphql.parse_and_verify"),
    viaQueryAst("{ user(id: 1) { ...F } } fragment F on User { id }", "graphql.parse"),
    viaSchemaAst("{ user(id: 1) { id } }", "graphql.is_valid"),
    viaSchemaAst("{ user(id: 1) { id } }", "graphql.parse"),
    viaSchemaAst("{ user(id: 1) { unknown } }", "graphql.parse_and_verify"),
    {
      name: "graphql.schema_is_valid",
      args: [SCHEMA],
      around: (call) => call.replace(/\((input\.c\d+\[0\])\)/, "(graphql.parse_schema($1))"),
    },
    {
      name: "graphql.is_valid",
      args: [{ Operations: [{ Operation: "query", SelectionSet: [{ Name: "a", Alias: "a" }] }] }, SIMPLE_SCHEMA],
    },
    {
      name: "graphql.is_valid",
      args: [{ operations: [{ Operation: "query", SelectionSet: [{ Name: "zz" }] }] }, SIMPLE_SCHEMA],
    },
    {
      name: "graphql.is_valid",
      args: [{ Operations: [{ Operation: "query", SelectionSet: [{ name: "a" }] }] }, SIMPLE_SCHEMA],
    },
    { name: "graphql.is_valid", args: [{ Operations: "x" }, SIMPLE_SCHEMA] },
    { name: "graphql.is_valid", args: [{}, SIMPLE_SCHEMA] },
    {
      name: "graphql.parse",
      args: [
        {
          Operations: [
            {
              Operation: "query",
              Description: "d",
              SelectionSet: [{ Name: "b", Alias: "b", Arguments: [{ Name: "x", Value: { Kind: 1, Raw: "5" } }] }],
            },
          ],
        },
        SIMPLE_SCHEMA,
      ],
    },
    {
      name: "graphql.schema_is_valid",
      args: [{ Definitions: [{ Kind: "OBJECT", Name: "Query", Fields: [{ Name: "a", Type: { NamedType: "Int" } }] }] }],
    },
    {
      name: "graphql.schema_is_valid",
      args: [
        { definitions: [{ kind: "OBJECT", name: "Query", fields: [{ name: "a", type: { namedType: "Nope" } }] }] },
      ],
    },
    { name: "graphql.schema_is_valid", args: [{ Definitions: [{ Kind: 5 }] }] },
    // No operation type: gqlparser's validator takes it for a query.
    {
      name: "graphql.is_valid",
      args: [{ Operations: [{ SelectionSet: [{ Name: "a", Alias: "a" }] }] }, SIMPLE_SCHEMA],
    },
    // null in a list of strings is "" for json.Unmarshal (a location no directive has: fails here).
    {
      name: "graphql.schema_is_valid",
      args: [
        {
          Directives: [{ Name: "d", Locations: ["FIELD", null] }],
          Definitions: [{ Kind: "OBJECT", Name: "Query", Fields: [{ Name: "a", Type: { NamedType: "Int" } }] }],
        },
      ],
      meshwardFails: "a directive location in an AST object",
    },
    {
      name: "graphql.schema_is_valid",
      args: [
        {
          Definitions: [
            { Kind: "INTERFACE", Fields: [{ Name: "x", Type: { NamedType: "Int" } }] },
            { Kind: "OBJECT", Name: "Query", Fields: [{ Name: "a", Type: { NamedType: "Int" } }] },
          ],
        },
      ],
      meshwardFails: "an empty name in an AST object",
    },
  ];
}
