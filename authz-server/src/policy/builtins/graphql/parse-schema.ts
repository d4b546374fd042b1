// A GraphQL type-system document parsed as OPA's parser (gqlparser's ParseSchema) parses it, into
// its SchemaDocument struct: schema definitions and extensions, type definitions and extensions,
// directive definitions (and gqlparser's directive extensions).
import {
  type Description,
  type Node,
  parseDescription,
  parseDirectives,
  parseOperationType,
  parseTypeReference,
  parseValueLiteral,
} from "./parse-common.ts";
import { type CommentGroup, TokenStream } from "./token-stream.ts";

const TYPE_KINDS: Readonly<Record<string, string>> = {
  scalar: "SCALAR",
  type: "OBJECT",
  interface: "INTERFACE",
  union: "UNION",
  enum: "ENUM",
  input: "INPUT_OBJECT",
};

const LOCATIONS = new Set([
  "QUERY",
  "MUTATION",
  "SUBSCRIPTION",
  "FIELD",
  "FRAGMENT_DEFINITION",
  "FRAGMENT_SPREAD",
  "INLINE_FRAGMENT",
  "VARIABLE_DEFINITION",
  "SCHEMA",
  "SCALAR",
  "OBJECT",
  "FIELD_DEFINITION",
  "ARGUMENT_DEFINITION",
  "INTERFACE",
  "UNION",
  "ENUM",
  "ENUM_VALUE",
  "INPUT_OBJECT",
  "INPUT_FIELD_DEFINITION",
  "DIRECTIVE_DEFINITION",
]);

export function parseSchemaDocument(text: string): Node {
  const p = new TokenStream(text);
  const doc: Record<string, Node[]> = {
    Schema: [],
    SchemaExtension: [],
    Directives: [],
    DirectiveExtensions: [],
    Definitions: [],
    Extensions: [],
  };
  while (p.peek().kind !== "EOF") {
    const kind = p.peek().kind;
    const description: Description =
      kind === "BlockString" || kind === "String" ? parseDescription(p) : { present: false, text: "", comment: null };
    const token = p.peek();
    if (token.kind !== "Name") p.unexpected();
    const typeKind = TYPE_KINDS[token.value];
    if (typeKind !== undefined) doc.Definitions?.push(typeDefinition(p, token.value, typeKind, description, false));
    else if (token.value === "schema") doc.Schema?.push(schemaDefinition(p, description));
    else if (token.value === "directive") doc.Directives?.push(directiveDefinition(p, description));
    else if (token.value === "extend") {
      if (description.text !== "") p.unexpected(p.prev);
      extension(p, doc);
    } else p.unexpected();
  }
  return { ...doc, Comment: p.comment };
}

function schemaDefinition(p: TokenStream, description: Description): Node {
  const comment = p.expectKeyword("schema");
  p.peek();
  const def: Node = {
    BeforeDescriptionComment: description.comment,
    Description: description.text,
    AfterDescriptionComment: comment,
    Directives: parseDirectives(p, true),
  };
  def.EndOfDefinitionComment = operationTypes(p, def);
  return def;
}

function operationTypes(p: TokenStream, def: Node): CommentGroup | null {
  const operations: Node[] = [];
  def.OperationTypes = operations;
  return p.some("BraceL", "BraceR", () => {
    p.peek();
    const op: Node = { Comment: p.comment, Operation: parseOperationType(p) };
    p.expect("Colon");
    op.Type = p.name();
    operations.push(op);
  });
}

/** A type definition, or (`extension`) a type extension: the keyword after `extend`. */
function typeDefinition(
  p: TokenStream,
  keyword: string,
  kind: string,
  description: Description,
  extension: boolean,
): Node {
  const comment = p.expectKeyword(keyword);
  p.peek();
  const def: Node = extension
    ? { AfterDescriptionComment: description.comment, Kind: kind }
    : {
        Kind: kind,
        BeforeDescriptionComment: description.comment,
        Description: description.text,
        AfterDescriptionComment: comment,
      };
  def.Name = p.name();
  if (kind === "OBJECT" || kind === "INTERFACE") def.Interfaces = implementsInterfaces(p);
  // gqlparser reads an input object extension's directives as non-constant.
  def.Directives = parseDirectives(p, !(extension && kind === "INPUT_OBJECT"));
  if (kind === "OBJECT" || kind === "INTERFACE") {
    const fields: Node[] = [];
    def.EndOfDefinitionComment = p.some("BraceL", "BraceR", () => fields.push(fieldDefinition(p)));
    def.Fields = fields;
  } else if (kind === "INPUT_OBJECT") {
    const fields: Node[] = [];
    def.EndOfDefinitionComment = p.some("BraceL", "BraceR", () => fields.push(inputValueDefinition(p)));
    def.Fields = fields;
  } else if (kind === "ENUM") {
    const values: Node[] = [];
    def.EndOfDefinitionComment = p.some("BraceL", "BraceR", () => values.push(enumValueDefinition(p)));
    def.EnumValues = values;
  } else if (kind === "UNION") {
    def.Types = unionMemberTypes(p);
  }
  if (extension && isEmptyExtension(def)) p.unexpected();
  return def;
}

function isEmptyExtension(def: Node): boolean {
  const empty = (key: string) => ((def[key] as unknown[] | undefined) ?? []).length === 0;
  return empty("Interfaces") && empty("Directives") && empty("Fields") && empty("EnumValues") && empty("Types");
}

function implementsInterfaces(p: TokenStream): string[] {
  const types: string[] = [];
  if (p.peek().value === "implements") {
    p.next();
    p.skip("Amp");
    types.push(p.name());
    while (p.skip("Amp")) types.push(p.name());
  }
  return types;
}

function unionMemberTypes(p: TokenStream): string[] {
  const types: string[] = [];
  if (p.skip("Equals")) {
    p.skip("Pipe");
    types.push(p.name());
    while (p.skip("Pipe")) types.push(p.name());
  }
  return types;
}

/** The description and comments every field, argument and enum value definition starts with. */
function memberStart(p: TokenStream): Node {
  const description = parseDescription(p);
  const def: Node = { Description: "" };
  if (description.text !== "") {
    def.BeforeDescriptionComment = description.comment;
    def.Description = description.text;
  }
  p.peek();
  def.AfterDescriptionComment = p.comment;
  def.Name = p.name();
  return def;
}

function fieldDefinition(p: TokenStream): Node {
  const def = memberStart(p);
  def.Arguments = argumentDefinitions(p);
  p.expect("Colon");
  def.Type = parseTypeReference(p);
  def.Directives = parseDirectives(p, true);
  return def;
}

function argumentDefinitions(p: TokenStream): Node[] {
  const args: Node[] = [];
  p.some("ParenL", "ParenR", () => args.push(inputValueDefinition(p)));
  return args;
}

function inputValueDefinition(p: TokenStream): Node {
  const def = memberStart(p);
  p.expect("Colon");
  def.Type = parseTypeReference(p);
  if (p.skip("Equals")) def.DefaultValue = parseValueLiteral(p, true);
  def.Directives = parseDirectives(p, true);
  return def;
}

function enumValueDefinition(p: TokenStream): Node {
  const def = memberStart(p);
  def.Directives = parseDirectives(p, true);
  return def;
}

function extension(p: TokenStream, doc: Record<string, Node[]>): void {
  const comment = p.expectKeyword("extend");
  const keyword = p.peek().value;
  const asDescription: Description = { present: false, text: "", comment };
  const kind = p.peek().kind === "Name" ? TYPE_KINDS[keyword] : undefined;
  if (kind !== undefined) doc.Extensions?.push(typeDefinition(p, keyword, kind, asDescription, true));
  else if (keyword === "schema") doc.SchemaExtension?.push(schemaExtension(p, comment));
  else if (keyword === "directive") doc.DirectiveExtensions?.push(directiveExtension(p, comment));
  else p.unexpected();
}

function schemaExtension(p: TokenStream, comment: CommentGroup | null): Node {
  p.expectKeyword("schema");
  p.peek();
  const def: Node = { AfterDescriptionComment: comment, Directives: parseDirectives(p, true) };
  def.EndOfDefinitionComment = operationTypes(p, def);
  if ((def.Directives as Node[]).length === 0 && (def.OperationTypes as Node[]).length === 0) p.unexpected();
  return def;
}

function directiveDefinition(p: TokenStream, description: Description): Node {
  const comment = p.expectKeyword("directive");
  p.expect("At");
  p.peek();
  const def: Node = {
    BeforeDescriptionComment: description.comment,
    Description: description.text,
    AfterDescriptionComment: comment,
    Name: p.name(),
  };
  def.Arguments = argumentDefinitions(p);
  def.Directives = parseDirectives(p, true);
  const peek = p.peek();
  def.IsRepeatable = peek.kind === "Name" && peek.value === "repeatable";
  if (def.IsRepeatable) p.skip("Name");
  p.expectKeyword("on");
  p.skip("Pipe");
  const locations = [directiveLocation(p)];
  while (p.skip("Pipe")) locations.push(directiveLocation(p));
  def.Locations = locations;
  return def;
}

function directiveLocation(p: TokenStream): string {
  const { token } = p.expect("Name");
  if (!LOCATIONS.has(token.value)) p.unexpected(token);
  return token.value;
}

function directiveExtension(p: TokenStream, comment: CommentGroup | null): Node {
  p.expectKeyword("directive");
  p.expect("At");
  p.peek();
  const def: Node = { AfterDescriptionComment: comment, Name: p.name(), Directives: parseDirectives(p, true) };
  if ((def.Directives as Node[]).length === 0) p.unexpected();
  return def;
}
