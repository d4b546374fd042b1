// Directive checks gqlparser's schema validator makes where graphql-js checks otherwise or not at
// all: gqlparser's validateDirectives, for the directives on a directive definition (a gqlparser
// extension of the syntax, also added by `extend directive`), on a type (where gqlparser lets a
// directive repeat) and on each schema entry (once per entry, not per schema); and, at every use in
// a schema, a required argument given a literal null.
import { GraphqlInvalid } from "./errors.ts";
import { type Node, ValueKind } from "./parse-common.ts";

const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
const nonNullType = { NonNull: true };

/** gqlparser's prelude directives, as the validator sees them (its prelude.graphql). */
export function preludeDirectives(): Map<string, Node> {
  const def = (Name: string, Locations: string[], Arguments: Node[] = []): [string, Node] => [
    Name,
    { Name, Locations, Arguments, Directives: [] },
  ];
  const ifRequired = { Name: "if", Type: nonNullType };
  return new Map([
    def("defer", ["FRAGMENT_SPREAD", "INLINE_FRAGMENT"], [{ Name: "if", DefaultValue: {} }, { Name: "label" }]),
    def("include", ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"], [ifRequired]),
    def("skip", ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"], [ifRequired]),
    def(
      "deprecated",
      ["FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION", "ENUM_VALUE", "DIRECTIVE_DEFINITION"],
      [{ Name: "reason", DefaultValue: {} }],
    ),
    def("specifiedBy", ["SCALAR"], [{ Name: "url", Type: nonNullType }]),
    def("oneOf", ["INPUT_OBJECT"]),
  ]);
}

const required = (arg: Node) => (arg.Type as Node | undefined)?.NonNull === true && !arg.DefaultValue;

/** gqlparser's validateDirectives: `dirs` used at `location` (on directive definition `current`,
 *  if any; each at most once unless repeatable when `singleLocation`). */
export function checkDirectives(
  dirs: Node[],
  location: string,
  current: Node | null,
  singleLocation: boolean,
  directives: Map<string, Node>,
): void {
  const seen = new Set<unknown>();
  for (const dir of dirs) {
    const name = String(dir.Name ?? "");
    if (name.startsWith("__")) throw new GraphqlInvalid(`Name "${name}" must not begin with "__"`);
    if (current && name === current.Name) throw new GraphqlInvalid(`Directive ${name} cannot refer to itself.`);
    const definition = directives.get(name);
    if (!definition) throw new GraphqlInvalid(`Undefined directive ${name}.`);
    if (singleLocation && seen.has(name) && definition.IsRepeatable !== true) {
      throw new GraphqlInvalid(`The directive ${name} can only be used once at this location.`);
    }
    seen.add(name);
    if (!list(definition.Locations).includes(location as never)) {
      throw new GraphqlInvalid(`Directive ${name} is not applicable on ${location}.`);
    }
    const given = new Set<unknown>();
    for (const arg of list(dir.Arguments)) {
      if (!list(definition.Arguments).some((a) => a.Name === arg.Name)) {
        throw new GraphqlInvalid(`Undefined argument ${String(arg.Name)} for directive ${name}.`);
      }
      if (given.has(arg.Name)) throw new GraphqlInvalid(`There can be only one argument named ${String(arg.Name)}.`);
      given.add(arg.Name);
    }
    for (const arg of list(definition.Arguments).filter(required)) {
      if (!given.has(arg.Name))
        throw new GraphqlInvalid(`Argument ${String(arg.Name)} for directive ${name} cannot be null.`);
    }
    checkUse(dir, directives);
  }
}

/** One use of a directive: no required argument given null, no input object naming a field twice. */
function checkUse(dir: Node, directives: Map<string, Node>): void {
  const definition = directives.get(String(dir.Name ?? ""));
  for (const arg of list(dir.Arguments)) {
    const value = arg.Value as Node | undefined;
    const argDefinition = list(definition?.Arguments).find((a) => a.Name === arg.Name);
    if (argDefinition && required(argDefinition) && value?.Kind === ValueKind.Null) {
      throw new GraphqlInvalid(`Argument ${String(arg.Name)} for directive ${String(dir.Name)} cannot be null.`);
    }
    checkInputFieldNames(value);
  }
}

function checkInputFieldNames(value: Node | undefined): void {
  const children = list(value?.Children);
  if (value?.Kind === ValueKind.Object && new Set(children.map((c) => c.Name)).size !== children.length) {
    throw new GraphqlInvalid("There can be only one input field of a name.");
  }
  for (const child of children) checkInputFieldNames(child.Value as Node | undefined);
}

/** Every use of a directive in the schema's definitions, fields, arguments and values. */
export function checkDirectiveUses(nodes: Node[], directives: Map<string, Node>): void {
  const visit = (node: Node): void => {
    for (const dir of list(node.Directives)) checkUse(dir, directives);
    for (const key of ["Fields", "Arguments", "EnumValues"]) for (const child of list(node[key])) visit(child);
  };
  for (const node of nodes) visit(node);
}
