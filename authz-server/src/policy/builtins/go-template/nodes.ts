// The parse tree of a Go text/template, and each node's text as Go's String() writes it (error
// messages quote it: `executing "template" at <.a.b>`). Positions are UTF-16 indexes. Pure.

export type Node =
  | { type: "text"; pos: number; text: string }
  | { type: "action"; pos: number; pipe: Pipe }
  | ControlNode
  | TemplateNode
  | { type: "break" | "continue"; pos: number };

export interface ControlNode {
  type: "if" | "with" | "range";
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

export interface TemplateNode {
  type: "template";
  pos: number;
  name: string;
  pipe?: Pipe;
}

export interface Pipe {
  type: "pipe";
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: Command[];
}

export interface Command {
  type: "command";
  pos: number;
  args: Operand[];
}

export interface VariableNode {
  type: "variable";
  pos: number;
  ident: string[];
}

export interface NumberNode {
  type: "number";
  pos: number;
  text: string;
  /** The value as an int, when the constant is integral and fits int64. */
  int?: bigint;
  /** The value as a float64, when the constant has one. */
  float?: number;
  /** Written with . e E p P (not hex or a rune): a float64 constant. */
  isFloatSyntax: boolean;
}

export type Operand =
  | { type: "identifier"; pos: number; name: string }
  | VariableNode
  | { type: "dot"; pos: number }
  | { type: "nil"; pos: number }
  | { type: "field"; pos: number; ident: string[] }
  | { type: "chain"; pos: number; node: Operand; fields: string[] }
  | { type: "bool"; pos: number; value: boolean }
  | NumberNode
  | { type: "string"; pos: number; quoted: string; text: string }
  | Pipe;

export function pipeString(pipe: Pipe): string {
  const decl = pipe.decl.length > 0 ? `${pipe.decl.map(operandString).join(", ")} ${pipe.isAssign ? "=" : ":="} ` : "";
  return decl + pipe.cmds.map(commandString).join(" | ");
}

export function commandString(cmd: Command): string {
  return cmd.args.map((arg) => (arg.type === "pipe" ? `(${pipeString(arg)})` : operandString(arg))).join(" ");
}

export function operandString(node: Operand | Command): string {
  switch (node.type) {
    case "identifier":
      return node.name;
    case "variable":
      return node.ident.join(".");
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "field":
      return node.ident.map((f) => `.${f}`).join("");
    case "chain": {
      const base = node.node.type === "pipe" ? `(${pipeString(node.node)})` : operandString(node.node);
      return base + node.fields.map((f) => `.${f}`).join("");
    }
    case "bool":
      return String(node.value);
    case "number":
      return node.text;
    case "string":
      return node.quoted;
    case "pipe":
      return pipeString(node);
    case "command":
      return commandString(node);
  }
}
