// gqlparser's AST structs as Go's encoding/json sees them, which is what OPA hands to Rego and
// reads back from it. Marshalling (`toOpaAst`): every exported field under its Go name, nil
// pointers and slices as null, then OPA's pruning (graphql.go, pruneIrrelevantGraphQLASTNodes):
// nulls, empty objects and arrays, and every "Position" dropped; "" and false are kept. Decoding
// (`fromOpaAst`, for ASTs given as objects): json.Unmarshal's rules — keys matched exactly or
// case-insensitively, unknown keys ignored, null leaves a field unset, a value of the wrong type is
// an error — and gqlparser's own decoders for operations, fragments and fields, which match keys
// exactly and decode every selection that can be a Field as a Field.
import { isPlainObject, RegoSet, type RegoValue } from "../../rego-value.ts";
import type { Node } from "./parse-common.ts";

type FieldType =
  | "string"
  | "bool"
  | "int"
  | "strings"
  | "selections"
  | "position"
  | { ptr: string }
  | { slice: string };

const S = "string";
const ptr = (name: string) => ({ ptr: name });
const slice = (name: string) => ({ slice: name });
const COMMENT = ptr("CommentGroup");
const DESCRIBED = { BeforeDescriptionComment: COMMENT, AfterDescriptionComment: COMMENT } as const;

const STRUCTS: Readonly<Record<string, Readonly<Record<string, FieldType>>>> = {
  QueryDocument: { Operations: slice("OperationDefinition"), Fragments: slice("FragmentDefinition"), Comment: COMMENT },
  OperationDefinition: {
    Description: S,
    Operation: S,
    Name: S,
    VariableDefinitions: slice("VariableDefinition"),
    Directives: slice("Directive"),
    SelectionSet: "selections",
    Position: "position",
    Comment: COMMENT,
  },
  VariableDefinition: {
    Description: S,
    Variable: S,
    Type: ptr("Type"),
    DefaultValue: ptr("Value"),
    Directives: slice("Directive"),
    Comment: COMMENT,
    Definition: ptr("Definition"),
    Used: "bool",
  },
  Field: {
    Alias: S,
    Name: S,
    Arguments: slice("Argument"),
    Directives: slice("Directive"),
    SelectionSet: "selections",
    Position: "position",
    Comment: COMMENT,
    Definition: ptr("FieldDefinition"),
    ObjectDefinition: ptr("Definition"),
  },
  Argument: { Name: S, Value: ptr("Value"), Comment: COMMENT },
  FragmentSpread: {
    Name: S,
    Directives: slice("Directive"),
    ObjectDefinition: ptr("Definition"),
    Definition: ptr("FragmentDefinition"),
    Comment: COMMENT,
  },
  InlineFragment: {
    TypeCondition: S,
    Directives: slice("Directive"),
    SelectionSet: "selections",
    ObjectDefinition: ptr("Definition"),
    Position: "position",
    Comment: COMMENT,
  },
  FragmentDefinition: {
    Description: S,
    Name: S,
    VariableDefinition: slice("VariableDefinition"),
    TypeCondition: S,
    Directives: slice("Directive"),
    SelectionSet: "selections",
    Definition: ptr("Definition"),
    Position: "position",
    Comment: COMMENT,
  },
  Value: {
    Raw: S,
    Children: slice("ChildValue"),
    Kind: "int",
    Comment: COMMENT,
    Definition: ptr("Definition"),
    VariableDefinition: ptr("VariableDefinition"),
    ExpectedType: ptr("Type"),
    ExpectedTypeHasDefault: "bool",
  },
  ChildValue: { Name: S, Value: ptr("Value"), Comment: COMMENT },
  Directive: {
    Name: S,
    Arguments: slice("Argument"),
    ParentDefinition: ptr("Definition"),
    Definition: ptr("DirectiveDefinition"),
    Location: S,
  },
  Type: { NamedType: S, Elem: ptr("Type"), NonNull: "bool" },
  SchemaDocument: {
    Schema: slice("SchemaDefinition"),
    SchemaExtension: slice("SchemaDefinition"),
    Directives: slice("DirectiveDefinition"),
    DirectiveExtensions: slice("DirectiveDefinition"),
    Definitions: slice("Definition"),
    Extensions: slice("Definition"),
    Comment: COMMENT,
  },
  SchemaDefinition: {
    Description: S,
    Directives: slice("Directive"),
    OperationTypes: slice("OperationTypeDefinition"),
    ...DESCRIBED,
    EndOfDefinitionComment: COMMENT,
  },
  OperationTypeDefinition: { Operation: S, Type: S, Comment: COMMENT },
  Definition: {
    Kind: S,
    Description: S,
    Name: S,
    Directives: slice("Directive"),
    Interfaces: "strings",
    Fields: slice("FieldDefinition"),
    Types: "strings",
    EnumValues: slice("EnumValueDefinition"),
    BuiltIn: "bool",
    ...DESCRIBED,
    EndOfDefinitionComment: COMMENT,
  },
  FieldDefinition: {
    Description: S,
    Name: S,
    Arguments: slice("ArgumentDefinition"),
    DefaultValue: ptr("Value"),
    Type: ptr("Type"),
    Directives: slice("Directive"),
    ...DESCRIBED,
  },
  ArgumentDefinition: {
    Description: S,
    Name: S,
    DefaultValue: ptr("Value"),
    Type: ptr("Type"),
    Directives: slice("Directive"),
    ...DESCRIBED,
  },
  EnumValueDefinition: { Description: S, Name: S, Directives: slice("Directive"), ...DESCRIBED },
  DirectiveDefinition: {
    Description: S,
    Name: S,
    Arguments: slice("ArgumentDefinition"),
    Directives: slice("Directive"),
    Locations: "strings",
    IsRepeatable: "bool",
    ...DESCRIBED,
  },
  CommentGroup: { List: slice("Comment") },
  Comment: { Value: S, Position: "position" },
};

/** Structs whose gqlparser decoder (ast/decode.go) reads only these keys, exactly spelled. */
const EXACT_KEYS: Readonly<Record<string, readonly string[]>> = {
  OperationDefinition: ["Operation", "Name", "VariableDefinitions", "Directives", "SelectionSet", "Position"],
  Field: ["Alias", "Name", "Arguments", "Directives", "SelectionSet", "Position", "Definition", "ObjectDefinition"],
  InlineFragment: ["TypeCondition", "Directives", "SelectionSet", "ObjectDefinition", "Position"],
  FragmentDefinition: [
    "Name",
    "VariableDefinition",
    "TypeCondition",
    "Directives",
    "SelectionSet",
    "Definition",
    "Position",
  ],
};

const MAX_DEPTH = 4000;

/** An AST object OPA could not decode (json.Unmarshal's error): the builtins answer as for a
 *  syntax error. */
export class GoDecodeError extends Error {}

function zero(type: FieldType): unknown {
  if (type === "string") return "";
  if (type === "bool") return false;
  if (type === "int") return 0;
  return null;
}

/** The struct `node` of type `name` marshalled, then pruned as OPA prunes it. */
export function toOpaAst(name: string, node: Node): RegoValue {
  return prune(marshal({ ptr: name }, node, 0), 0, { values: 0 }) ?? {};
}

/** How deep an AST handed to the policy may nest (objects and arrays): the value crosses into the
 *  Wasm module as text its parser reads recursively. gqlparser accepts 1000 levels of selections
 *  (about 2000 here); deeper answers fail (the expression is undefined) where OPA answers them. */
export const MAX_AST_DEPTH = 600;

/** How many values (objects, arrays, scalars) an AST handed to the policy may hold. It is written
 *  into the Wasm module's memory on the check's thread: a 1 MiB query of bare fields (~500 000)
 *  held the event loop for 20 s and took the process past the Deployment's 512 MiB. */
export const MAX_AST_VALUES = 50_000;

/** An answer Meshward refuses to hand over although OPA would: the builtin fails. */
export class AstTooDeep extends Error {}

function marshal(type: FieldType, value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new GoDecodeError("AST nested too deeply");
  if (value === null || value === undefined) return zero(type);
  if (typeof type === "string") {
    if (type === "selections") return (value as Node[]).map((s) => marshal(ptr(s.selection as string), s, depth + 1));
    return type === "position" ? null : value;
  }
  if ("slice" in type) return (value as unknown[]).map((item) => marshal(ptr(type.slice), item, depth + 1));
  const fields = STRUCTS[type.ptr] ?? {};
  const node = value as Node;
  return Object.fromEntries(Object.entries(fields).map(([key, t]) => [key, marshal(t, node[key], depth + 1)]));
}

function prune(value: unknown, depth: number, count: { values: number }): RegoValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (depth > MAX_AST_DEPTH) throw new AstTooDeep(`graphql: AST nested deeper than ${MAX_AST_DEPTH} levels`);
  if (++count.values > MAX_AST_VALUES) throw new AstTooDeep(`graphql: AST of more than ${MAX_AST_VALUES} values`);
  if (Array.isArray(value)) {
    const items = value.map((v) => prune(v, depth + 1, count)).filter((v) => v !== undefined && !isEmpty(v));
    return items as RegoValue[];
  }
  if (typeof value === "object") {
    const out: Record<string, RegoValue> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "Position") continue;
      const pruned = prune(v, depth + 1, count);
      if (pruned !== undefined && !isEmpty(pruned)) out[key] = pruned;
    }
    return out;
  }
  return value as RegoValue;
}

function isEmpty(value: RegoValue): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/** A Rego object read back into the struct `name`, as OPA's json.Unmarshal reads it. */
export function fromOpaAst(name: string, value: RegoValue): Node {
  return decodeStruct(name, value, 0) ?? {};
}

function fail(message: string): never {
  throw new GoDecodeError(message);
}

/** Sets become arrays on the way through JSON, as OPA's ast.JSON makes them. */
function plain(value: RegoValue): RegoValue {
  return value instanceof RegoSet ? value.items : value;
}

function decodeStruct(name: string, raw: RegoValue, depth: number): Node | null {
  if (depth > MAX_DEPTH) fail("AST nested too deeply");
  const value = plain(raw);
  if (value === null) return null;
  if (!isPlainObject(value)) fail(`cannot unmarshal into ${name}`);
  const fields = STRUCTS[name] ?? {};
  const exact = EXACT_KEYS[name];
  const node: Node = { selection: name };
  for (const key of Object.keys(value).sort()) {
    const field = exact ? (exact.includes(key) ? key : undefined) : matchField(fields, key);
    if (field === undefined) continue;
    const type = fields[field] as FieldType;
    const decoded = decodeField(type, value[key] as RegoValue, depth + 1);
    if (decoded !== undefined) node[field] = decoded;
  }
  return node;
}

/** encoding/json's field lookup: the exact name, else one equal under case folding. */
function matchField(fields: Readonly<Record<string, FieldType>>, key: string): string | undefined {
  if (key in fields) return key;
  const folded = key.toLowerCase();
  return Object.keys(fields).find((f) => f.toLowerCase() === folded);
}

/** The field's value, or undefined where null leaves the field as it was. */
function decodeField(type: FieldType, raw: RegoValue, depth: number): unknown {
  const value = plain(raw);
  if (value === null) return undefined;
  switch (type) {
    case "string":
      return typeof value === "string" ? value : fail("cannot unmarshal into string");
    case "bool":
      return typeof value === "boolean" ? value : fail("cannot unmarshal into bool");
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value) ? value : fail("cannot unmarshal into int");
    case "strings":
      // null in a []string is the zero string, as json.Unmarshal leaves it.
      return arrayOf(value).map((v) => {
        const item = plain(v);
        return item === null ? "" : typeof item === "string" ? item : fail("cannot unmarshal into string");
      });
    case "position":
      return isPlainObject(value) ? undefined : fail("cannot unmarshal into Position");
    case "selections":
      return arrayOf(value)
        .map((item) => decodeSelection(item, depth))
        .filter((s) => s !== undefined);
  }
  if ("ptr" in type) return decodeStruct(type.ptr, value, depth);
  return arrayOf(value).map((item) => decodeStruct(type.slice, item, depth) ?? fail("null in a list"));
}

function arrayOf(value: RegoValue): RegoValue[] {
  return Array.isArray(value) ? value : fail("cannot unmarshal into a slice");
}

/** gqlparser's UnmarshalSelectionSet: the first of Field, FragmentSpread, InlineFragment that
 *  decodes without error (in practice a Field), an item none decodes dropped. */
function decodeSelection(item: RegoValue, depth: number): Node | undefined {
  for (const name of ["Field", "FragmentSpread", "InlineFragment"]) {
    try {
      return decodeStruct(name, item, depth) ?? { selection: name };
    } catch (err) {
      if (!(err instanceof GoDecodeError)) throw err;
    }
  }
  return undefined;
}
