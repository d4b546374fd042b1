// Schema building and query validation: what OPA does with gqlparser's validator (its prelude of
// built-in scalars and directives merged in, ValidateSchemaDocument, then ValidateWithRules with
// the default rules). Extensions and root types are resolved as gqlparser resolves them
// (schema-merge.ts); the rest is judged by graphql-js, whose rules gqlparser ported.
import { buildASTSchema, type GraphQLSchema, specifiedRules, validate, validateSchema } from "graphql";
import { GraphqlInvalid, UnsupportedGraphql } from "./errors.ts";
import type { Node } from "./parse-common.ts";
import { mergeSchema } from "./schema-merge.ts";
import { queryToGraphqlJs, schemaToGraphqlJs } from "./to-graphql-js.ts";

const VALIDATION_ABORTED = "Validation aborted.";

const ROOTS = { query: "getQueryType", mutation: "getMutationType", subscription: "getSubscriptionType" } as const;

// gqlparser accepts a schema without a query type (a query then fails KnownRootType).
const NO_QUERY_TYPE = "Query root type must be provided.";

export function buildSchema(doc: Node): GraphQLSchema {
  const document = schemaToGraphqlJs(mergeSchema(doc));
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(document);
  } catch (err) {
    throw new GraphqlInvalid(err instanceof Error ? err.message : String(err));
  }
  const errors = validateSchema(schema).filter((e) => e.message !== NO_QUERY_TYPE);
  if (errors.length > 0) throw new GraphqlInvalid(errors[0]?.message ?? "invalid schema");
  return schema;
}

export function validateQuery(schema: GraphQLSchema, query: Node): void {
  const document = queryToGraphqlJs(query);
  // gqlparser's KnownRootType: an operation whose root type the schema lacks.
  for (const definition of document.definitions) {
    if (definition.kind === "OperationDefinition" && !schema[ROOTS[definition.operation]]()) {
      throw new GraphqlInvalid(`Schema does not support operation type "${definition.operation}"`);
    }
  }
  const first = validate(schema, document, specifiedRules, { maxErrors: 1 })[0];
  if (first === undefined) return;
  // graphql-js stops comparing overlapping fields past a work budget, where gqlparser goes on (as
  // long as it takes) and may find the query valid: no answer rather than a different one.
  if (first.message === VALIDATION_ABORTED) throw new UnsupportedGraphql("a query too costly to validate");
  throw new GraphqlInvalid(first.message);
}
