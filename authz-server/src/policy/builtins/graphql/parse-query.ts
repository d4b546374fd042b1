// A GraphQL executable document parsed as OPA's parser (gqlparser's ParseQuery) parses it, into
// its QueryDocument struct: operations and fragments, nothing else (a type definition in a query
// is a syntax error there).
import {
  type Description,
  type Node,
  parseArguments,
  parseDescription,
  parseDirectives,
  parseOperationType,
  parseTypeReference,
  parseValueLiteral,
  parseVariable,
} from "./parse-common.ts";
import { type CommentGroup, TokenStream } from "./token-stream.ts";

export function parseQueryDocument(text: string): Node {
  const p = new TokenStream(text);
  const operations: Node[] = [];
  const fragments: Node[] = [];
  while (p.peek().kind !== "EOF") {
    const description = parseDescription(p);
    const token = p.peek();
    if (token.kind === "BraceL") operations.push(operationDefinition(p, description));
    else if (token.kind !== "Name") p.unexpected();
    else if (token.value === "fragment") fragments.push(fragmentDefinition(p, description));
    else if (["query", "mutation", "subscription"].includes(token.value))
      operations.push(operationDefinition(p, description));
    else p.unexpected();
  }
  return { Operations: operations, Fragments: fragments };
}

export function joinComments(before: CommentGroup | null, after: CommentGroup | null): CommentGroup | null {
  if (before === null) return after;
  if (after === null) return before;
  return { List: [...before.List, ...after.List] };
}

function operationDefinition(p: TokenStream, description: Description): Node {
  if (p.peek().kind === "BraceL") {
    if (description.present) p.unexpected(p.prev);
    // gqlparser writes `Comment: p.comment` in a struct literal beside calls, and Go's compiler
    // reads the field after the calls, when the selection set has consumed it: no comment.
    return { Comment: null, Operation: "query", SelectionSet: requiredSelectionSet(p) };
  }
  const od: Node = { Description: description.text };
  p.peek();
  od.Comment = joinComments(description.comment, p.comment);
  od.Operation = parseOperationType(p);
  od.Name = p.peek().kind === "Name" ? p.next().value : "";
  od.VariableDefinitions = variableDefinitions(p);
  od.Directives = parseDirectives(p, false);
  od.SelectionSet = requiredSelectionSet(p);
  return od;
}

function variableDefinitions(p: TokenStream): Node[] {
  const defs: Node[] = [];
  p.some("ParenL", "ParenR", () => {
    const description = parseDescription(p);
    p.peek();
    const def: Node = { Description: description.text, Comment: joinComments(description.comment, p.comment) };
    def.Variable = parseVariable(p);
    p.expect("Colon");
    def.Type = parseTypeReference(p);
    if (p.skip("Equals")) def.DefaultValue = parseValueLiteral(p, true);
    def.Directives = parseDirectives(p, false);
    defs.push(def);
  });
  return defs;
}

function optionalSelectionSet(p: TokenStream): Node[] {
  return p.nested(() => {
    const selections: Node[] = [];
    p.some("BraceL", "BraceR", () => {
      selections.push(p.peek().kind === "Spread" ? fragment(p) : field(p));
    });
    return selections;
  });
}

function requiredSelectionSet(p: TokenStream): Node[] {
  if (p.peek().kind !== "BraceL") p.unexpected();
  return optionalSelectionSet(p);
}

function field(p: TokenStream): Node {
  p.peek();
  const f: Node = { selection: "Field", Comment: p.comment, Alias: p.name() };
  f.Name = p.skip("Colon") ? p.name() : f.Alias;
  f.Arguments = parseArguments(p, false);
  f.Directives = parseDirectives(p, false);
  if (p.peek().kind === "BraceL") f.SelectionSet = optionalSelectionSet(p);
  return f;
}

function fragment(p: TokenStream): Node {
  const { comment } = p.expect("Spread");
  const peek = p.peek();
  if (peek.kind === "Name" && peek.value !== "on") {
    const name = fragmentName(p);
    return { selection: "FragmentSpread", Comment: comment, Name: name, Directives: parseDirectives(p, false) };
  }
  const inline: Node = { selection: "InlineFragment", Comment: comment, TypeCondition: "" };
  if (p.peek().value === "on") {
    p.next();
    inline.TypeCondition = p.name();
  }
  inline.Directives = parseDirectives(p, false);
  inline.SelectionSet = requiredSelectionSet(p);
  return inline;
}

function fragmentDefinition(p: TokenStream, description: Description): Node {
  p.peek();
  const def: Node = { Description: description.text, Comment: joinComments(description.comment, p.comment) };
  p.expectKeyword("fragment");
  def.Name = fragmentName(p);
  def.VariableDefinition = variableDefinitions(p);
  p.expectKeyword("on");
  def.TypeCondition = p.name();
  def.Directives = parseDirectives(p, false);
  def.SelectionSet = requiredSelectionSet(p);
  return def;
}

function fragmentName(p: TokenStream): string {
  if (p.peek().value === "on") p.unexpected();
  return p.name();
}
