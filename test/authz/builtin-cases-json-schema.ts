// json.match_schema and json.verify_schema calls for builtins-parity.test.ts: every keyword
// Meshward's validator reproduces, with documents that pass and fail, several errors in one answer
// (their order), schemas OPA refuses (verify false, match undefined), schemas and documents as JSON
// text and as values, nested field paths, lengths counted in code points, and numbers beyond a
// double. A document given as a string is JSON text (OPA's rule), so `text(x)` passes x that way.
// Where OPA lists errors in Go's map order (one error per object key, patternProperties,
// dependencies), which changes from run to run, the case compares the errors sorted.
import type { Arg, BuiltinCase } from "./builtin-cases.ts";

const match = (document: Arg, schema: Arg): BuiltinCase => ({ name: "json.match_schema", args: [document, schema] });
const verify = (schema: Arg): BuiltinCase => ({ name: "json.verify_schema", args: [schema] });
/** Errors compared as a set: OPA's order comes from Go map iteration here. */
const unordered = (document: Arg, schema: Arg): BuiltinCase => ({
  ...match(document, schema),
  around: (call) => `[r[0], sort(r[1])] if { r := ${call} }`,
});
const text = (value: unknown) => JSON.stringify(value);
const big = (digits: string) => ({ $number: digits });

const D4 = "http://json-schema.org/draft-04/schema#";
const D6 = "http://json-schema.org/draft-06/schema#";
const D7 = "http://json-schema.org/draft-07/schema";

const TYPE_CASES: BuiltinCase[] = [
  match({ a: 1 }, { type: "object" }),
  match("5", { type: "string" }),
  match("1.5", { type: "integer" }),
  match("1.0", { type: "integer" }),
  match("1e2", { type: ["integer", "null"] }),
  match("null", { type: ["string", "integer"] }),
  match("true", { type: "boolean" }),
  match([1], { type: "object" }),
  match(text("x"), { type: ["null", "string"] }),
  match(text("x"), { type: "number" }),
  verify({ type: "foo" }),
  verify({ type: ["string", "string"] }),
  verify({ type: 5 }),
  verify({ type: [5] }),
];

const VALUE_CASES: BuiltinCase[] = [
  match(text("c"), { enum: ["a", "b", 1, null] }),
  match("1.0", { enum: [1] }),
  match({ b: "<&>", a: 1 }, { enum: [{ a: 1.5 }, { b: "<&>", a: 1 }] }),
  match({ b: "<&>\u2028", a: [1, 2] }, { enum: [{ a: 1.5 }, "x"] }),
  match("-0", { enum: [0] }),
  match("12345678901234567891", { const: big("12345678901234567890") }),
  match(text("x"), { const: "y" }),
  match({ a: [1, { b: null }] }, '{"const": {"a": [1.0, {"b": null}]}}'),
  match({ a: [1, { b: false }] }, { const: { a: [1, { b: null }] } }),
  match("2", { enum: [] }),
  match(text("x"), { $schema: D4, const: "y" }),
  verify('{"enum": [1, 1.0]}'),
  verify({ enum: "a" }),
];

const OBJECT_CASES: BuiltinCase[] = [
  match({}, { required: ["a", "b"] }),
  match({ a: 1 }, { required: ["a"] }),
  verify({ required: ["a", "a"] }),
  verify({ required: "a" }),
  verify({ required: [1] }),
  match(
    { a: { b: { c: 5 } } },
    { properties: { a: { properties: { b: { properties: { c: { type: "string" } } } } } } },
  ),
  match({ "é.x": 5, "☃": [] }, { properties: { "é.x": { type: "string" }, "☃": { maxItems: 0 } } }),
  unordered({ x1: "a", y: 2 }, { patternProperties: { "^x\\d$": { type: "integer" } }, additionalProperties: false }),
  match({ a: 1, b: "x" }, { properties: { a: {} }, additionalProperties: { type: "integer" } }),
  match({ xa: 1 }, { patternProperties: { a: { type: "integer" }, "^x": { minimum: 2 } } }),
  unordered({ a: "x", b: "y", c: 3 }, { properties: { a: { type: "integer" }, b: { type: "integer" } } }),
  unordered({ d: 1, a: 1, c: 3 }, { additionalProperties: false }),
  match({ a: 1 }, { minProperties: 2 }),
  match({ a: 1 }, { maxProperties: 0 }),
  match({ a: 1, b: 2 }, { minProperties: 1, maxProperties: 2 }),
  match({ a: 1 }, { dependencies: { a: ["b", "c"] } }),
  match({ a: 1, b: 2 }, { dependencies: { a: ["b"], c: ["d"] } }),
  match({ a: 1 }, { dependencies: { a: { required: ["z"] } } }),
  match({ ab: 1, c: 2 }, { propertyNames: { maxLength: 1 } }),
  match({ ab: 1 }, { $schema: D4, propertyNames: { maxLength: 1 } }),
  verify({ patternProperties: { "(": {} } }),
  verify({ patternProperties: 5 }),
  verify({ additionalProperties: 5 }),
  verify({ properties: 5 }),
  verify({ properties: { a: 5 } }),
  verify({ minProperties: 3, maxProperties: 1 }),
  verify({ dependencies: { a: 5 } }),
  verify({ dependencies: { a: [1] } }),
  verify({ dependencies: [] }),
  verify({ propertyNames: 5 }),
];

const ARRAY_CASES: BuiltinCase[] = [
  match([1, "a", 3], { items: { type: "integer" } }),
  match([1, "a", true], { items: [{ type: "integer" }, { type: "string" }], additionalItems: false }),
  match([1, "a", true, 2], { items: [{ type: "integer" }], additionalItems: { type: "string" } }),
  match([1, 2], { items: [], additionalItems: false }),
  match([[1, [2, "x"]]], { items: { items: { items: { type: "integer" } } } }),
  match([1, 2], { minItems: 3 }),
  match([1, 2], { maxItems: 1 }),
  match('[1, "a", 1, 1.0, 1e0]', { uniqueItems: true }),
  match('[{"a": 1}, {"a": 1.0}, "1"]', { uniqueItems: true }),
  match([1, 2], { uniqueItems: false, minItems: 2, maxItems: 2 }),
  match([1, 2], { contains: { type: "string" } }),
  match([1, "a"], { contains: { type: "string" } }),
  match([], { contains: {} }),
  match([1, 2], { $schema: D4, contains: { type: "string" } }),
  verify({ items: 5 }),
  verify({ items: [5] }),
  verify({ additionalItems: "x" }),
  verify({ uniqueItems: "yes" }),
  verify({ minItems: -1 }),
  verify({ maxItems: "1" }),
  verify({ contains: 5 }),
];

const STRING_CASES: BuiltinCase[] = [
  match(text("héllo☕"), { minLength: 6, maxLength: 6 }),
  match(text("😀😀"), { maxLength: 1 }),
  match(text("😀"), { minLength: 2 }),
  match(text("abc"), { pattern: "^a.c$" }),
  match(text("xabc"), { pattern: "b" }),
  match(text("ABC"), { pattern: "^[a-z]+$" }),
  match(text("é"), { pattern: "^\\p{L}$" }),
  match("5", { pattern: "^x$", minLength: 3 }),
  verify({ pattern: "a**" }),
  verify({ pattern: "(?=x)" }),
  verify({ pattern: "(?P<n>x)\\d+" }),
  verify({ pattern: 5 }),
  verify({ minLength: -1 }),
  verify({ minLength: 1.5 }),
  verify('{"minLength": 2.0}'),
  verify('{"minLength": 2e0}'),
  verify({ maxLength: "2" }),
  verify({ minLength: 3, maxLength: 1 }),
];

const NUMBER_CASES: BuiltinCase[] = [
  match("10", { multipleOf: 3 }),
  match("0.3", { multipleOf: 0.1 }),
  match("0.35", { multipleOf: 0.1 }),
  match("7", { maximum: 1234567, minimum: 1e30 }),
  match("5", { maximum: 0.000001 }),
  match("5", { maximum: 0.0001, minimum: 100000 }),
  match("5", { exclusiveMaximum: 5 }),
  match("5", { maximum: 5, exclusiveMaximum: true }),
  match("5", { $schema: D4, minimum: 5, exclusiveMinimum: true }),
  match("5", { $schema: D4, minimum: 5, exclusiveMinimum: false }),
  match("5", { $schema: D7, exclusiveMinimum: 5.5 }),
  match("12345678901234567891", { maximum: big("12345678901234567890") }),
  match("12345678901234567890", { maximum: big("12345678901234567890") }),
  match({ n: big("12345678901234567891") }, { properties: { n: { maximum: big("12345678901234567890") } } }),
  match({ n: big("12345678901234567890") }, { properties: { n: { maximum: big("12345678901234567890") } } }),
  match("123.456", { minimum: 123.4567 }),
  match("-1", { minimum: 0, multipleOf: 0.5 }),
  match("100000", { maximum: 99999.5 }),
  match("1e400", { maximum: 1, multipleOf: 7 }),
  match("-2.5e-3", { minimum: -0.002, exclusiveMaximum: -0.0025 }),
  match({ n: 2.5 }, { properties: { n: { multipleOf: 0.5, type: "number" } } }),
  verify({ $schema: D4, exclusiveMinimum: 5, minimum: 1 }),
  verify({ $schema: D7, exclusiveMinimum: true, minimum: 1 }),
  verify({ exclusiveMaximum: true }),
  verify({ exclusiveMaximum: "x" }),
  verify({ multipleOf: 0 }),
  verify({ multipleOf: "2" }),
  verify({ minimum: "1" }),
  verify({ maximum: null }),
];

const COMBINATOR_CASES: BuiltinCase[] = [
  match("5", { anyOf: [{ type: "string" }, { minimum: 10 }] }),
  match("5", { anyOf: [{ type: "string" }, { minimum: 1 }] }),
  match("5", { oneOf: [{ type: "integer" }, { minimum: 0 }] }),
  match(text("x"), { oneOf: [{ type: "integer" }, { type: "boolean" }] }),
  match(text("x"), { oneOf: [{ type: "string" }, { type: "boolean" }] }),
  match("5", { allOf: [{ type: "string" }, { maximum: 1 }, {}] }),
  match("5", { not: { type: "integer" } }),
  match("5", { not: { type: "string" } }),
  match("5", '{"if": {"minimum": 3}, "then": {"multipleOf": 2}, "else": {"type": "string"}}'),
  match("1", '{"if": {"minimum": 3}, "then": {"multipleOf": 2}, "else": {"type": "string"}}'),
  match("4", '{"if": {"minimum": 3}, "then": {"multipleOf": 2}}'),
  match("5", `{"$schema": "${D6}", "if": {"minimum": 3}, "then": {"multipleOf": 2}}`),
  match(
    { a: "x", b: [1, "2"] },
    { anyOf: [{ properties: { a: { type: "integer" } } }, { properties: { b: { items: { type: "integer" } } } }] },
  ),
  verify({ not: 5 }),
  verify({ anyOf: {} }),
  verify({ oneOf: [5] }),
  verify({ if: "x" }),
];

const REF_CASES: BuiltinCase[] = [
  match({ a: "x" }, { definitions: { pos: { type: "integer" } }, properties: { a: { $ref: "#/definitions/pos" } } }),
  unordered(
    { name: 1, child: { child: {} } },
    { type: "object", required: ["name"], properties: { name: { type: "string" }, child: { $ref: "#" } } },
  ),
  match("5", { definitions: { a: {} }, $ref: "#/definitions/a", type: "string" }),
  match(
    { x: 1 },
    {
      $id: "https://example.com/s.json",
      definitions: { s: { type: "string" } },
      properties: { x: { $ref: "#/definitions/s" } },
    },
  ),
  match([1, "x"], { definitions: { list: { items: [{ type: "string" }] } }, $ref: "#/definitions/list" }),
  match({ a: 2 }, { properties: { a: { $ref: "#/definitions/t~1u" } }, definitions: { "t/u": { maximum: 1 } } }),
  verify({ $ref: "#/definitions/missing" }),
  verify({ $ref: "#/items/5", items: [{}] }),
  verify({ definitions: { a: 5 } }),
  verify({ definitions: [] }),
  verify({ $ref: 5 }),
  verify({ $schema: D4, definitions: { a: true } }),
];

const BOOLEAN_AND_TEXT_CASES: BuiltinCase[] = [
  match("1", "false"),
  match("1", "true"),
  match({ a: 1, b: 2 }, { properties: { a: false, b: true } }),
  match("[1]", text({ items: { type: "string" } })),
  match(text({ a: "x", a2: 1 }), text({ properties: { a: { type: "integer" } } })),
  match('{"a": "x", "a": 1}', { properties: { a: { type: "integer" } } }),
  match('"\\ud800x"', { maxLength: 1 }),
  verify("true"),
  verify(text({ type: 5 })),
  verify("{bad"),
  verify(5),
  verify(true),
  verify([1]),
  verify({ $schema: 5 }),
  verify({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "string" }),
  verify({ title: 5 }),
  verify({ description: [] }),
  verify({ format: 5 }),
  verify({}),
  match("hello", {}),
  match({ a: 1 }, "{bad"),
  match(5, {}),
  match({ a: 1 }, 5),
];

const FORMAT_CASES: BuiltinCase[] = [
  match(text("not-a-uuid"), { format: "uuid" }),
  match(text("0F8FAD5B-D9CB-469F-A165-70867728950E"), { format: "uuid" }),
  match(text("2024-02-30"), { format: "date" }),
  match(text("2024-02-29"), { format: "date" }),
  match(text("2023-02-29"), { format: "date" }),
  match(text("::ffff:1.2.3.4"), { format: "ipv4" }),
  match(text("01.2.3.4"), { format: "ipv4" }),
  match(text("fe80::1"), { format: "ipv6" }),
  match(text("1.2.3.4"), { format: "ipv6" }),
  match(text("a-.example.com"), { format: "hostname" }),
  match(text("api.example.com"), { format: "hostname" }),
  match(text("/a~2"), { format: "json-pointer" }),
  match(text("/a~1b/~0"), { format: "json-pointer" }),
  match(text("1#"), { format: "relative-json-pointer" }),
  match(text("anything"), { format: "no-such-format" }),
  match("5", { format: "ipv4" }),
];

const ORDER_CASES: BuiltinCase[] = [
  match(text("ab"), { type: "string", minLength: 3, pattern: "^x", enum: ["zzz"], format: "uuid" }),
  match("5", { allOf: [{ multipleOf: 2 }], anyOf: [{ type: "string" }], oneOf: [{ maximum: 1 }], not: {} }),
  match([5, "x"], {
    items: [
      { maximum: 1, multipleOf: 2 },
      { minLength: 2, enum: ["y"] },
    ],
    minItems: 3,
  }),
  match(
    { a: [1, { b: "x" }] },
    { required: ["z"], properties: { a: { items: [{}, { properties: { b: { type: "integer" } } }] } } },
  ),
];

export const JSON_SCHEMA_CASES: BuiltinCase[] = [
  ...TYPE_CASES,
  ...VALUE_CASES,
  ...OBJECT_CASES,
  ...ARRAY_CASES,
  ...STRING_CASES,
  ...NUMBER_CASES,
  ...COMBINATOR_CASES,
  ...REF_CASES,
  ...BOOLEAN_AND_TEXT_CASES,
  ...FORMAT_CASES,
  ...ORDER_CASES,
];
