// graphql.parse, parse_and_verify, parse_query, parse_schema, is_valid, schema_is_valid with OPA's
// semantics (topdown/graphql.go): text parsed as gqlparser parses it (graphql/parse-*.ts), the AST
// answered in gqlparser's struct shape as OPA marshals and prunes it (graphql/go-structs.ts), an
// AST given as an object read back as OPA's json.Unmarshal reads it, validation by graphql-js's
// rules (graphql/validate.ts). OPA's failures: parse, parse_query and parse_schema fail (the
// expression is undefined), is_valid and schema_is_valid answer false, parse_and_verify answers
// [false, {}, {}]. A construct Meshward does not judge as OPA does fails every builtin instead.
import type { GraphQLSchema } from "graphql";
import { isPlainObject, RegoSet, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { GraphqlInvalid } from "./graphql/errors.ts";
import { fromOpaAst, GoDecodeError, toOpaAst } from "./graphql/go-structs.ts";
import { GraphqlSyntaxError } from "./graphql/lexer.ts";
import type { Node } from "./graphql/parse-common.ts";
import { parseQueryDocument } from "./graphql/parse-query.ts";
import { parseSchemaDocument } from "./graphql/parse-schema.ts";
import { buildSchema, validateQuery } from "./graphql/validate.ts";
import { fail } from "./operands.ts";

/** Query text beyond this is refused (an error, so a deny), so that no request can make a check
 *  parse megabytes (a 1 MiB query cost ~0.6 s of the check's thread to validate); gqlparser's own
 *  nesting cap (1000) bounds the depth. */
export const MAX_QUERY_TEXT = 256 * 1024;
/** Schema text beyond this is refused: a schema comes from the bundle and is built once (cached by
 *  its text), so it may be larger than a query. */
export const MAX_SCHEMA_TEXT = 1 << 20;

/** OPA's own failures (the answer is false or undefined, as OPA's is). */
function isOpaFailure(err: unknown): boolean {
  return err instanceof GraphqlSyntaxError || err instanceof GoDecodeError || err instanceof GraphqlInvalid;
}

function bounded(text: string, max: number): string {
  if (text.length > max) throw new RangeError(`graphql: text longer than ${max}`);
  return text;
}

/** A query or schema given as text or as an AST object; anything else is OPA's type error. */
function document(value: RegoValue | undefined, struct: string, parse: (text: string) => Node, maxText: number): Node {
  if (typeof value === "string") return parse(bounded(value, maxText));
  if (isPlainObject(value)) return fromOpaAst(struct, value);
  if (value instanceof RegoSet || Array.isArray(value)) throw new GoDecodeError(`${struct}: not an object`);
  throw new GoDecodeError(`${struct}: operand must be a string or an object`);
}

const query = (v: RegoValue | undefined) => document(v, "QueryDocument", parseQueryDocument, MAX_QUERY_TEXT);
const schema = (v: RegoValue | undefined) => document(v, "SchemaDocument", parseSchemaDocument, MAX_SCHEMA_TEXT);

/** Runs `answer`; OPA's failures become `onFailure()`, anything else propagates. */
function opa<T>(answer: () => T, onFailure: (err: unknown) => T): T {
  try {
    return answer();
  } catch (err) {
    if (isOpaFailure(err)) return onFailure(err);
    throw err;
  }
}

const failWith = (err: unknown): never => fail(err instanceof Error ? err.message : String(err));

// Built schemas by schema text, as OPA keeps them (10 by default): a policy checks many queries
// against the one schema in its bundle. A rejected schema is remembered as its error.
const SCHEMA_CACHE_ENTRIES = 10;
const built = new Map<string, GraphQLSchema | GraphqlInvalid>();

function builtSchema(value: RegoValue | undefined, doc: Node = schema(value)): GraphQLSchema {
  if (typeof value !== "string") return buildSchema(doc);
  let entry = built.get(value);
  if (entry === undefined) {
    try {
      entry = buildSchema(doc);
    } catch (err) {
      if (!(err instanceof GraphqlInvalid)) throw err;
      entry = err;
    }
    if (built.size >= SCHEMA_CACHE_ENTRIES) built.delete(built.keys().next().value as string);
    built.set(value, entry);
  }
  if (entry instanceof GraphqlInvalid) throw entry;
  return entry;
}

function parseAndValidate([q, s]: RegoValue[]): [RegoValue, RegoValue] {
  const queryDoc = query(q);
  const schemaDoc = schema(s);
  const schemaAst = toOpaAst("SchemaDocument", schemaDoc);
  const queryAst = toOpaAst("QueryDocument", queryDoc);
  validateQuery(builtSchema(s, schemaDoc), queryDoc);
  return [queryAst, schemaAst];
}

export const graphqlBuiltins: Record<string, Builtin> = {
  "graphql.parse_query": ([q]) => {
    if (typeof q !== "string") fail("graphql.parse_query: operand 1 must be string");
    return opa(() => toOpaAst("QueryDocument", parseQueryDocument(bounded(q, MAX_QUERY_TEXT))), failWith);
  },
  "graphql.parse_schema": ([s]) => {
    if (typeof s !== "string") fail("graphql.parse_schema: operand 1 must be string");
    return opa(() => toOpaAst("SchemaDocument", parseSchemaDocument(bounded(s, MAX_SCHEMA_TEXT))), failWith);
  },
  "graphql.parse": (args) => {
    if (typeof args[0] !== "string" && !isPlainObject(args[0]))
      fail("graphql.parse: operand 1 must be string or object");
    return opa(() => parseAndValidate(args), failWith);
  },
  "graphql.parse_and_verify": (args) =>
    opa(
      () => [true, ...parseAndValidate(args)],
      () => [false, {}, {}],
    ),
  "graphql.is_valid": ([q, s]) =>
    opa(
      () => {
        const queryDoc = query(q);
        validateQuery(builtSchema(s), queryDoc);
        return true;
      },
      () => false,
    ),
  "graphql.schema_is_valid": ([s]) =>
    opa(
      () => {
        builtSchema(s);
        return true;
      },
      () => false,
    ),
};
