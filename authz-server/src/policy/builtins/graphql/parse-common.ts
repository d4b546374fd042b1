// The parts queries and schemas share — values, type references, directives, arguments,
// descriptions — parsed into gqlparser's AST structs (Go field names; what OPA hands to Rego is
// these structs marshalled, go-structs.ts). Ported from gqlparser's parser/query.go and schema.go,
// calling the token stream in the same order so comments land where gqlparser puts them.
import type { TokenKind } from "./lexer.ts";
import type { CommentGroup, TokenStream } from "./token-stream.ts";

export type Node = { [key: string]: unknown };

/** gqlparser's ValueKind numbers. */
export const ValueKind = {
  Variable: 0,
  Int: 1,
  Float: 2,
  String: 3,
  Block: 4,
  Boolean: 5,
  Null: 6,
  Enum: 7,
  List: 8,
  Object: 9,
} as const;

export interface Description {
  present: boolean;
  text: string;
  comment: CommentGroup | null;
}

export function parseDescription(p: TokenStream): Description {
  const token = p.peek();
  if (token.kind !== "BlockString" && token.kind !== "String") return { present: false, text: "", comment: null };
  const comment = p.comment;
  return { present: true, text: p.next().value, comment };
}

export function parseVariable(p: TokenStream): string {
  p.expect("Dollar");
  return p.name();
}

export function parseValueLiteral(p: TokenStream, isConst: boolean): Node {
  const token = p.peek();
  let kind: number;
  switch (token.kind) {
    case "BracketL":
      return parseList(p, isConst);
    case "BraceL":
      return parseObject(p, isConst);
    case "Dollar":
      if (isConst) p.unexpected();
      // As for an anonymous operation: the comment is read after the call, when it is gone.
      return { Comment: null, Raw: parseVariable(p), Kind: ValueKind.Variable };
    case "Int":
      kind = ValueKind.Int;
      break;
    case "Float":
      kind = ValueKind.Float;
      break;
    case "String":
      kind = ValueKind.String;
      break;
    case "BlockString":
      kind = ValueKind.Block;
      break;
    case "Name":
      kind =
        token.value === "true" || token.value === "false"
          ? ValueKind.Boolean
          : token.value === "null"
            ? ValueKind.Null
            : ValueKind.Enum;
      break;
    default:
      return p.unexpected();
  }
  p.next();
  return { Comment: p.comment, Raw: token.value, Kind: kind };
}

/** A list or an input object: its children between `open` and `close`, each read by `child`. */
function parseCompound(p: TokenStream, open: TokenKind, close: TokenKind, kind: number, child: () => Node): Node {
  return p.nested(() => {
    const children: Node[] = [];
    p.peek();
    const comment = p.comment;
    p.many(open, close, () => children.push(child()));
    return { Children: children, Kind: kind, Comment: comment };
  });
}

function parseList(p: TokenStream, isConst: boolean): Node {
  return parseCompound(p, "BracketL", "BracketR", ValueKind.List, () => ({
    Name: "",
    Value: parseValueLiteral(p, isConst),
  }));
}

function parseObject(p: TokenStream, isConst: boolean): Node {
  return parseCompound(p, "BraceL", "BraceR", ValueKind.Object, () => {
    p.peek();
    const field: Node = { Comment: p.comment, Name: p.name() };
    p.expect("Colon");
    field.Value = parseValueLiteral(p, isConst);
    return field;
  });
}

export function parseDirectives(p: TokenStream, isConst: boolean): Node[] {
  const directives: Node[] = [];
  while (p.peek().kind === "At") {
    p.expect("At");
    p.peek();
    const name = p.name();
    directives.push({ Name: name, Arguments: parseArguments(p, isConst) });
  }
  return directives;
}

export function parseArguments(p: TokenStream, isConst: boolean): Node[] {
  const args: Node[] = [];
  p.some("ParenL", "ParenR", () => {
    p.peek();
    const arg: Node = { Comment: p.comment, Name: p.name() };
    p.expect("Colon");
    arg.Value = parseValueLiteral(p, isConst);
    args.push(arg);
  });
  return args;
}

export function parseTypeReference(p: TokenStream): Node {
  let type: Node;
  if (p.skip("BracketL")) {
    type = p.nested(() => {
      p.peek();
      const elem = parseTypeReference(p);
      p.expect("BracketR");
      return { Elem: elem };
    });
  } else {
    p.peek();
    type = { NamedType: p.name() };
  }
  type.NonNull = p.skip("Bang");
  return type;
}

export function parseOperationType(p: TokenStream): string {
  const token = p.next();
  if (token.value === "query" || token.value === "mutation" || token.value === "subscription") return token.value;
  return p.unexpected(token);
}
