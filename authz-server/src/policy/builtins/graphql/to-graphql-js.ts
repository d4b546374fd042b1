// gqlparser's AST structs (as parsed, or as read back from a Rego object) turned into graphql-js's
// document nodes, so that graphql-js's validation rules — the ones gqlparser ported — judge the
// same document OPA's validator judges. Only what validation reads is carried over.
import { type DefinitionNode, type DocumentNode, Kind, parse, type TypeNode, type ValueNode } from "graphql";
import { UnsupportedGraphql } from "./errors.ts";
import type { Node } from "./parse-common.ts";
import { ValueKind } from "./parse-common.ts";
import type { MergedSchema } from "./schema-merge.ts";

const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const name = (v: unknown) => ({ kind: Kind.NAME, value: text(v) }) as const;

/** The parser never reads an empty name, so only an AST object can hold one; in a query graphql-js
 *  rejects it as gqlparser does (no such field, argument, fragment), but in a schema gqlparser lets
 *  some through where graphql-js refuses all: no answer. */
function requireNames(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) requireNames(item);
    return;
  }
  if (node === "") throw new UnsupportedGraphql("an empty name in an AST object");
  if (node === null || typeof node !== "object") return;
  const n = node as Node;
  if (text(n.Name) === "") throw new UnsupportedGraphql("an empty name in an AST object");
  for (const key of ["Directives", "Fields", "Arguments", "EnumValues", "Interfaces", "Types"]) requireNames(n[key]);
  if (n.Type) requireTypeName(n.Type as Node);
}

function requireTypeName(type: Node): void {
  if (type.Elem) requireTypeName(type.Elem as Node);
  else if (text(type.NamedType) === "") throw new UnsupportedGraphql("an empty type name in an AST object");
}

function value(v: Node | null | undefined): ValueNode {
  if (!v) throw new UnsupportedGraphql("a value without a value");
  const raw = text(v.Raw);
  switch (v.Kind ?? 0) {
    case ValueKind.Variable:
      return { kind: Kind.VARIABLE, name: name(raw) };
    case ValueKind.Int:
      return { kind: Kind.INT, value: raw };
    case ValueKind.Float:
      return { kind: Kind.FLOAT, value: raw };
    case ValueKind.String:
      return { kind: Kind.STRING, value: raw };
    case ValueKind.Block:
      return { kind: Kind.STRING, value: raw, block: true };
    case ValueKind.Boolean:
      return { kind: Kind.BOOLEAN, value: raw === "true" };
    case ValueKind.Null:
      return { kind: Kind.NULL };
    case ValueKind.Enum:
      return { kind: Kind.ENUM, value: raw };
    case ValueKind.List:
      return { kind: Kind.LIST, values: list(v.Children).map((c) => value(c.Value as Node)) };
    case ValueKind.Object:
      return {
        kind: Kind.OBJECT,
        fields: list(v.Children).map((c) => ({
          kind: Kind.OBJECT_FIELD,
          name: name(c.Name),
          value: value(c.Value as Node),
        })),
      };
    default:
      throw new UnsupportedGraphql(`value kind ${String(v.Kind)}`);
  }
}

function type(t: Node | null | undefined): TypeNode {
  if (!t) throw new UnsupportedGraphql("a missing type");
  const inner =
    text(t.NamedType) !== ""
      ? ({ kind: Kind.NAMED_TYPE, name: name(t.NamedType) } as const)
      : ({ kind: Kind.LIST_TYPE, type: type(t.Elem as Node) } as const);
  return t.NonNull === true ? { kind: Kind.NON_NULL_TYPE, type: inner } : inner;
}

const args = (v: unknown) =>
  list(v).map((a) => ({ kind: Kind.ARGUMENT, name: name(a.Name), value: value(a.Value as Node) }) as const);
const directives = (v: unknown) =>
  list(v).map((d) => ({ kind: Kind.DIRECTIVE, name: name(d.Name), arguments: args(d.Arguments) }) as const);

// graphql-js reads these directives' string arguments while building a schema and throws on a
// value of another type; gqlparser never checks the types of a schema's directive arguments, so
// such a value is handed over as a string (it does not take part in validating queries).
const READ_WHEN_BUILT = new Set(["deprecated", "specifiedBy"]);

const schemaDirectives = (v: unknown) =>
  directives(v).map((d) =>
    READ_WHEN_BUILT.has(d.name.value)
      ? {
          ...d,
          arguments: d.arguments.map((a) =>
            a.value.kind === Kind.STRING || a.value.kind === Kind.NULL
              ? a
              : { ...a, value: { kind: Kind.STRING, value: "" } as ValueNode },
          ),
        }
      : d,
  );

// biome-ignore lint/suspicious/noExplicitAny: graphql-js's selection node union, built field by field
function selections(v: unknown): any {
  return {
    kind: Kind.SELECTION_SET,
    selections: list(v).map((s) => {
      if (s.selection === "FragmentSpread") {
        return { kind: Kind.FRAGMENT_SPREAD, name: name(s.Name), directives: directives(s.Directives) };
      }
      if (s.selection === "InlineFragment") {
        const condition = text(s.TypeCondition);
        return {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: condition ? { kind: Kind.NAMED_TYPE, name: name(condition) } : undefined,
          directives: directives(s.Directives),
          selectionSet: selections(s.SelectionSet),
        };
      }
      const alias = text(s.Alias);
      const sub = list(s.SelectionSet);
      return {
        kind: Kind.FIELD,
        alias: alias !== "" && alias !== text(s.Name) ? name(alias) : undefined,
        name: name(s.Name),
        arguments: args(s.Arguments),
        directives: directives(s.Directives),
        selectionSet: sub.length > 0 ? selections(sub) : undefined,
      };
    }),
  };
}

const variables = (v: unknown) =>
  list(v).map((d) => ({
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: name(d.Variable) },
    type: type(d.Type as Node),
    defaultValue: d.DefaultValue ? value(d.DefaultValue as Node) : undefined,
    directives: directives(d.Directives),
  })) as never;

const OPERATIONS = new Set(["query", "mutation", "subscription"]);

export function queryToGraphqlJs(doc: Node): DocumentNode {
  const definitions: DefinitionNode[] = [];
  for (const op of list(doc.Operations)) {
    // gqlparser's validator takes a missing operation type for a query (an AST given as an object).
    const operation = text(op.Operation) || "query";
    if (!OPERATIONS.has(operation)) throw new UnsupportedGraphql(`operation ${JSON.stringify(operation)}`);
    definitions.push({
      kind: Kind.OPERATION_DEFINITION,
      operation: operation as never,
      name: text(op.Name) ? name(op.Name) : undefined,
      variableDefinitions: variables(op.VariableDefinitions),
      directives: directives(op.Directives),
      selectionSet: selections(op.SelectionSet),
    });
  }
  // A fragment's own variable definitions (gqlparser parses them) are not walked by its validator.
  for (const fragment of list(doc.Fragments)) {
    definitions.push({
      kind: Kind.FRAGMENT_DEFINITION,
      name: name(fragment.Name),
      typeCondition: { kind: Kind.NAMED_TYPE, name: name(fragment.TypeCondition) },
      directives: directives(fragment.Directives),
      selectionSet: selections(fragment.SelectionSet),
    });
  }
  return { kind: Kind.DOCUMENT, definitions };
}

const description = (d: Node) =>
  text(d.Description) !== "" ? { kind: Kind.STRING, value: text(d.Description) } : undefined;

const inputValues = (v: unknown) =>
  list(v).map((a) => ({
    kind: Kind.INPUT_VALUE_DEFINITION,
    description: description(a),
    name: name(a.Name),
    type: type(a.Type as Node),
    defaultValue: a.DefaultValue ? value(a.DefaultValue as Node) : undefined,
    directives: schemaDirectives(a.Directives),
  }));

const named = (names: unknown) =>
  (Array.isArray(names) ? (names as unknown[]) : []).map((n) => ({ kind: Kind.NAMED_TYPE, name: name(n) }));

const DEFINITION_KINDS: Readonly<Record<string, Kind>> = {
  SCALAR: Kind.SCALAR_TYPE_DEFINITION,
  OBJECT: Kind.OBJECT_TYPE_DEFINITION,
  INTERFACE: Kind.INTERFACE_TYPE_DEFINITION,
  UNION: Kind.UNION_TYPE_DEFINITION,
  ENUM: Kind.ENUM_TYPE_DEFINITION,
  INPUT_OBJECT: Kind.INPUT_OBJECT_TYPE_DEFINITION,
};

function typeDefinition(d: Node): DefinitionNode {
  const kind = DEFINITION_KINDS[text(d.Kind)];
  if (!kind) throw new UnsupportedGraphql(`definition kind ${JSON.stringify(d.Kind)}`);
  const fields =
    d.Kind === "INPUT_OBJECT"
      ? inputValues(d.Fields)
      : list(d.Fields).map((f) => ({
          kind: Kind.FIELD_DEFINITION,
          description: description(f),
          name: name(f.Name),
          arguments: inputValues(f.Arguments),
          type: type(f.Type as Node),
          directives: schemaDirectives(f.Directives),
        }));
  return {
    kind,
    description: description(d),
    name: name(d.Name),
    interfaces: named(d.Interfaces),
    directives: schemaDirectives(d.Directives),
    fields,
    types: named(d.Types),
    values: list(d.EnumValues).map((e) => ({
      kind: Kind.ENUM_VALUE_DEFINITION,
      description: description(e),
      name: name(e.Name),
      directives: schemaDirectives(e.Directives),
    })),
  } as never;
}

/** The merged schema (schema-merge.ts) as one SDL document, with gqlparser's prelude directives
 *  where the schema does not define its own (graphql-js lacks @defer, and its @deprecated has fewer
 *  locations). */
function locations(d: Node) {
  const names = Array.isArray(d.Locations) ? (d.Locations as string[]) : [];
  // Only an AST object can define a directive usable nowhere, or at a location named "".
  if (names.length === 0 || names.includes("")) throw new UnsupportedGraphql("a directive location in an AST object");
  return names.map(name);
}

export function schemaToGraphqlJs(schema: MergedSchema): DocumentNode {
  requireNames([schema.definitions, schema.directives, schema.schemaDirectives]);
  const own = new Set(schema.directives.map((d) => text(d.Name)));
  const prelude = PRELUDE_DIRECTIVES_SDL.definitions.filter(
    (d) => d.kind === Kind.DIRECTIVE_DEFINITION && !own.has(d.name.value),
  );
  const operationTypes = Object.entries(schema.roots).map(([operation, type]) => ({
    kind: Kind.OPERATION_TYPE_DEFINITION,
    operation: operation as never,
    type: { kind: Kind.NAMED_TYPE, name: name(type) },
  }));
  const definitions: DefinitionNode[] = [
    ...prelude,
    ...schema.directives.map(
      (d) =>
        ({
          kind: Kind.DIRECTIVE_DEFINITION,
          description: description(d),
          name: name(d.Name),
          arguments: inputValues(d.Arguments),
          repeatable: d.IsRepeatable === true,
          locations: locations(d),
        }) as never,
    ),
    ...schema.definitions.map((d) => typeDefinition(d)),
  ];
  if (operationTypes.length > 0 || schema.schemaDirectives.length > 0) {
    definitions.push({
      kind: Kind.SCHEMA_DEFINITION,
      directives: schemaDirectives(schema.schemaDirectives),
      operationTypes,
    } as never);
  }
  return { kind: Kind.DOCUMENT, definitions };
}

const PRELUDE_DIRECTIVES_SDL = parse(`
directive @defer(if: Boolean = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE | DIRECTIVE_DEFINITION
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
`);
