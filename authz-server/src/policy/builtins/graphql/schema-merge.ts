// The first half of gqlparser's ValidateSchemaDocument, which graphql-js does differently: type
// extensions merged into their types (extending a type that does not exist creates it; a kind
// mismatch is an error), directive extensions merged and directives checked where gqlparser's
// rules differ (directive-checks.ts), at most one schema definition, root
// operation types from the schema definition and its extensions (each once, each naming a type),
// or by name (Query, Mutation, Subscription) when there is no schema definition. The result has
// definitions only, for graphql-js to validate the rest. The prelude's types cannot be redeclared;
// its directives can (the schema's definition wins).

import { checkDirectives, checkDirectiveUses, preludeDirectives } from "./directive-checks.ts";
import { GraphqlInvalid, UnsupportedGraphql } from "./errors.ts";
import type { Node } from "./parse-common.ts";

const BUILT_IN_SCALARS = new Set(["Int", "Float", "String", "Boolean", "ID"]);

export const PRELUDE_TYPES = new Set([
  ...BUILT_IN_SCALARS,
  "__Schema",
  "__Type",
  "__TypeKind",
  "__Field",
  "__InputValue",
  "__EnumValue",
  "__Directive",
  "__DirectiveLocation",
]);

export const PRELUDE_DIRECTIVES = new Set(["defer", "deprecated", "include", "oneOf", "skip", "specifiedBy"]);

const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
const strings = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface MergedSchema {
  definitions: Node[];
  directives: Node[];
  /** Root operation types by operation. */
  roots: Record<string, string>;
  schemaDirectives: Node[];
}

export function mergeSchema(doc: Node): MergedSchema {
  const types = new Map<string, Node>();
  const definitions: Node[] = [];
  for (const def of list(doc.Definitions)) {
    const name = String(def.Name ?? "");
    if (types.has(name) || PRELUDE_TYPES.has(name)) throw new GraphqlInvalid(`Cannot redeclare type ${name}.`);
    const copy = { ...def };
    types.set(name, copy);
    definitions.push(copy);
  }
  const builtInScalarDirectives: Node[] = [];
  for (const ext of list(doc.Extensions)) {
    const name = String(ext.Name ?? "");
    if (BUILT_IN_SCALARS.has(name)) {
      if (ext.Kind !== "SCALAR") throw new GraphqlInvalid(`Cannot extend type ${name}: the base type is a SCALAR`);
      // Directives on a built-in scalar: checked as gqlparser checks a type's, then of no further use.
      builtInScalarDirectives.push(...list(ext.Directives));
      continue;
    }
    if (PRELUDE_TYPES.has(name)) throw new UnsupportedGraphql(`an extension of the built-in type ${name}`);
    let def = types.get(name);
    if (def === undefined) {
      def = { Kind: ext.Kind, Name: name };
      types.set(name, def);
      definitions.push(def);
    }
    if (def.Kind !== ext.Kind)
      throw new GraphqlInvalid(`Cannot extend type ${name}: the base type is a ${String(def.Kind)}`);
    for (const key of ["Directives", "Interfaces", "Fields", "Types", "EnumValues"]) {
      def[key] = [...strings(def[key]), ...strings(ext[key])];
    }
  }
  const directives = preludeDirectives();
  const own = new Map<string, Node>();
  for (const dir of list(doc.Directives)) {
    const name = String(dir.Name ?? "");
    if (own.has(name) && !PRELUDE_DIRECTIVES.has(name)) throw new GraphqlInvalid(`Cannot redeclare directive ${name}.`);
    const copy = { ...dir, Directives: [...list(dir.Directives)] };
    own.set(name, copy);
    directives.set(name, copy);
  }
  for (const ext of list(doc.DirectiveExtensions)) {
    const def = directives.get(String(ext.Name ?? ""));
    if (!def) throw new GraphqlInvalid(`Cannot extend directive @${String(ext.Name)} because it is not defined.`);
    def.Directives = [...list(def.Directives), ...list(ext.Directives)];
  }
  for (const dir of directives.values()) {
    checkDirectives(list(dir.Directives), "DIRECTIVE_DEFINITION", dir, true, directives);
    for (const arg of list(dir.Arguments)) {
      if (list(arg.Directives).some((d) => d.Name === dir.Name)) {
        throw new GraphqlInvalid(`Directive ${String(dir.Name)} cannot refer to itself.`);
      }
    }
  }
  checkDirectiveUses([...definitions, ...own.values()], directives);
  checkDirectives(builtInScalarDirectives, "SCALAR", null, false, directives);
  const repeatable = (name: unknown) => directives.get(String(name))?.IsRepeatable === true;
  // gqlparser lets a type carry a directive twice (graphql-js does not): checked here, and
  // graphql-js sees each directive once.
  for (const def of definitions) {
    if (!repeats(list(def.Directives), repeatable)) continue;
    checkDirectives(list(def.Directives), String(def.Kind), null, false, directives);
    def.Directives = once(list(def.Directives), repeatable);
  }
  const schemas = list(doc.Schema);
  if (schemas.length > 1) throw new GraphqlInvalid("Cannot have multiple schema entry points");
  const roots: Record<string, string> = {};
  const schemaDirectives: Node[] = [];
  for (const entry of [...schemas, ...list(doc.SchemaExtension)]) {
    for (const op of list(entry.OperationTypes)) {
      const operation = String(op.Operation ?? "");
      if (operation in roots) throw new GraphqlInvalid(`There can be only one ${operation} type in schema.`);
      const type = String(op.Type ?? "");
      if (!types.has(type))
        throw new GraphqlInvalid(`Schema root ${operation} refers to a type ${type} that does not exist.`);
      roots[operation] = type;
    }
    // Once per entry for gqlparser; graphql-js sees one list, each directive once.
    checkDirectives(list(entry.Directives), "SCHEMA", null, true, directives);
    schemaDirectives.push(...list(entry.Directives));
  }
  if (schemas.length === 0) {
    for (const [operation, type] of [
      ["query", "Query"],
      ["mutation", "Mutation"],
      ["subscription", "Subscription"],
    ] as const) {
      if (!(operation in roots) && types.has(type)) roots[operation] = type;
    }
  }
  return { definitions, directives: [...own.values()], roots, schemaDirectives: once(schemaDirectives, repeatable) };
}

/** Whether a directive that is not repeatable appears twice among `directives`. */
function repeats(directives: Node[], repeatable: (name: unknown) => boolean): boolean {
  const seen = new Set<unknown>();
  for (const d of directives) {
    if (seen.has(d.Name) && !repeatable(d.Name)) return true;
    seen.add(d.Name);
  }
  return false;
}

/** `directives` with each one that is not repeatable kept at its first use only. */
function once(directives: Node[], repeatable: (name: unknown) => boolean): Node[] {
  const seen = new Set<unknown>();
  return directives.filter((d) => {
    const keep = repeatable(d.Name) || !seen.has(d.Name);
    seen.add(d.Name);
    return keep;
  });
}
