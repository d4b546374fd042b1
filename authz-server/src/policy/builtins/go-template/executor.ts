// Runs a parsed template on its data as Go's text/template executes it (exec.go): dot and
// variables, field chains on maps, if/with/range (maps in sorted key order, else branches,
// break/continue), pipelines passing each stage's value as the next one's last argument,
// function calls with Go's argument checks, named templates. Errors carry Go's text: "template:
// template:LINE:COL: executing "NAME" at <NODE>: …" with COL counted in bytes. Bounded: output
// size, evaluation steps and template call depth are capped (TemplateLimit). Pure.
import { actionText, formatValue } from "./format-value.ts";
import { FUNCTIONS, type Param } from "./function-table.ts";
import { truth } from "./functions.ts";
import {
  type Command,
  type ControlNode,
  commandString,
  type Node,
  type NumberNode,
  type Operand,
  operandString,
  type Pipe,
  pipeString,
  type TemplateNode,
} from "./nodes.ts";
import type { Templates } from "./parser.ts";
import { goQuote } from "./printf.ts";
import {
  GoFloat,
  GoInt,
  type GoValue,
  isMap,
  type Maybe,
  MISSING,
  sortedKeys,
  TemplateError,
  TemplateLimit,
  typeName,
  Unsupported,
} from "./values.ts";

export interface ExecutionLimits {
  /** Characters of output. */
  maxOutput: number;
  /** Nodes and commands evaluated. */
  maxSteps: number;
  /** Nested {{template}} calls. */
  maxDepth: number;
}

/** "No value passed from a previous pipeline stage" (Go's missingVal), unlike MISSING. */
const NO_FINAL: unique symbol = Symbol("no final");
type Final = Maybe | typeof NO_FINAL;

interface Variable {
  name: string;
  value: Maybe;
  /** The value is an element of the data, typed interface {} (range variables). */
  wrapped?: boolean;
}

class LoopSignal {
  constructor(readonly kind: "break" | "continue") {}
}

/** A node as Go's String() writes it. */
function nodeText(node: Operand | Command | Node): string {
  if (node.type === "pipe") return pipeString(node);
  if (node.type === "command") return commandString(node);
  if (node.type === "template")
    return `{{template ${goQuote(node.name)}${node.pipe ? ` ${pipeString(node.pipe)}` : ""}}}`;
  if ("pipe" in node && node.pipe) {
    return node.type === "action" ? `{{${pipeString(node.pipe)}}}` : `{{${node.type} ${pipeString(node.pipe)}}}`;
  }
  return operandString(node as Operand);
}

/** After each pipeline stage, Go unwraps an interface: a nil from the data becomes no value. */
const unwrap = (v: Maybe): Maybe => (v === null ? MISSING : v);

export class Executor {
  private output = "";
  private steps = 0;
  private depth = 0;
  private vars: Variable[] = [];
  /** Dot is an element of a slice or map from the data (Go's static type interface {}). */
  private dotWrapped = false;
  /** Where evaluation stands, for error messages. */
  private node: Operand | Command | Node | undefined;
  private name = "template";

  constructor(
    private readonly source: string,
    private readonly templates: Templates,
    private readonly limits: ExecutionLimits,
  ) {}

  run(data: GoValue): string {
    this.vars = [{ name: "$", value: data }];
    this.walkList(data, this.templates.root);
    return this.output;
  }

  private fail(message: string): never {
    if (!this.node) throw new TemplateError(`template: ${this.name}: ${message}`);
    const before = this.source.slice(0, this.node.pos);
    const newline = before.lastIndexOf("\n");
    const line = before.split("\n").length;
    const column = Buffer.byteLength(before.slice(newline + 1), "utf8");
    throw new TemplateError(
      `template: template:${line}:${column}: executing "${this.name}" at <${nodeText(this.node)}>: ${message}`,
    );
  }

  private at(node: Operand | Command | Node): void {
    this.node = node;
  }

  private step(): void {
    if (++this.steps > this.limits.maxSteps) {
      throw new TemplateLimit(`strings.render_template: more than ${this.limits.maxSteps} evaluation steps`);
    }
  }

  private write(text: string): void {
    this.output += text;
    if (this.output.length > this.limits.maxOutput) {
      throw new TemplateLimit(`strings.render_template: output longer than ${this.limits.maxOutput} characters`);
    }
  }

  private walkList(dot: Maybe, nodes: Node[]): void {
    for (const node of nodes) this.walk(dot, node);
  }

  private walk(dot: Maybe, node: Node): void {
    this.step();
    this.at(node);
    switch (node.type) {
      case "text":
        this.write(node.text);
        return;
      case "action": {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(actionText(value));
        return;
      }
      case "break":
      case "continue":
        throw new LoopSignal(node.type);
      case "if":
      case "with": {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (!truth(value === MISSING ? null : value)) {
          if (node.elseList) this.walkList(dot, node.elseList);
        } else if (node.type === "with") this.walkWithDot(value, false, node.list);
        else this.walkList(dot, node.list);
        this.vars.length = mark;
        return;
      }
      case "range":
        this.walkRange(dot, node);
        return;
      case "template":
        this.walkTemplate(dot, node);
        return;
    }
  }

  /** Walks `nodes` with a new dot, `wrapped` when it is an element of the data. */
  private walkWithDot(dot: Maybe, wrapped: boolean, nodes: Node[]): void {
    const saved = this.dotWrapped;
    this.dotWrapped = wrapped;
    try {
      this.walkList(dot, nodes);
    } finally {
      this.dotWrapped = saved;
    }
  }

  private walkRange(dot: Maybe, node: ControlNode): void {
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, node.pipe);
    const decl = node.pipe.decl;
    const inner = this.vars.length;
    const wrapped = !(value instanceof GoInt);
    const iterate = (key: Maybe, element: Maybe): boolean => {
      this.step();
      if (decl.length > 0) {
        if (node.pipe.isAssign) {
          if (decl.length > 1) this.setVar(decl[0]?.ident[0] as string, key);
          else this.setVar(decl[0]?.ident[0] as string, element, wrapped);
        } else Object.assign(this.vars[this.vars.length - 1] as Variable, { value: element, wrapped });
      }
      if (decl.length > 1) {
        if (node.pipe.isAssign) this.setVar(decl[1]?.ident[0] as string, element, wrapped);
        else Object.assign(this.vars[this.vars.length - 2] as Variable, { value: key, wrapped: false });
      }
      try {
        this.walkWithDot(element, wrapped, node.list);
      } catch (signal) {
        if (!(signal instanceof LoopSignal)) throw signal;
        if (signal.kind === "break") return false;
      } finally {
        this.vars.length = inner;
      }
      return true;
    };
    let iterated = false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        iterated = true;
        if (!iterate(new GoInt(BigInt(i)), value[i] as GoValue)) break;
      }
    } else if (isMap(value)) {
      for (const key of sortedKeys(value)) {
        iterated = true;
        if (!iterate(key, value.get(key) as GoValue)) break;
      }
    } else if (value instanceof GoInt) {
      if (decl.length > 1) this.fail(`can't use ${formatValue(value)} to iterate over more than one variable`);
      for (let i = 0n; i < value.value; i++) {
        iterated = true;
        if (!iterate(new GoInt(i), new GoInt(i))) break;
      }
    } else if (value !== MISSING) {
      this.fail(`range can't iterate over ${formatValue(value)}`);
    }
    if (!iterated && node.elseList) this.walkList(dot, node.elseList);
    this.vars.length = mark;
  }

  private walkTemplate(dot: Maybe, node: TemplateNode): void {
    const list = this.templates.named.get(node.name);
    if (!list) this.fail(`template ${JSON.stringify(node.name)} not defined`);
    // Go stops at 100000 nested calls with an error; the JavaScript stack allows fewer.
    if (++this.depth > this.limits.maxDepth) this.fail(`exceeded maximum template depth (${this.limits.maxDepth})`);
    const value = node.pipe ? this.evalPipeline(dot, node.pipe) : MISSING;
    const saved = { vars: this.vars, name: this.name };
    this.vars = [{ name: "$", value }];
    this.name = node.name;
    try {
      this.walkWithDot(value, false, list);
    } finally {
      this.vars = saved.vars;
      this.name = saved.name;
      this.depth--;
    }
  }

  private setVar(name: string, value: Maybe, wrapped = false): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        v.wrapped = wrapped;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private variable(name: string): Variable {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v;
    }
    return this.fail(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: Maybe, pipe: Pipe): Maybe {
    this.at(pipe);
    let value: Final = NO_FINAL;
    // Each stage's value is unwrapped before the next stage takes it.
    for (const cmd of pipe.cmds) value = unwrap(this.evalCommand(dot, cmd, value));
    const result = value === NO_FINAL ? MISSING : value;
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0] as string, result);
      else this.vars.push({ name: v.ident[0] as string, value: result });
    }
    return result;
  }

  private notAFunction(args: Operand[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) {
      this.fail(`can't give argument to non-function ${operandString(args[0] as Operand)}`);
    }
  }

  private evalCommand(dot: Maybe, cmd: Command, final: Final): Maybe {
    this.step();
    const first = cmd.args[0] as Operand;
    switch (first.type) {
      case "field":
        this.at(first);
        return this.evalFieldChain(dot, this.dotWrapped, first.ident, cmd.args, final);
      case "chain":
        return this.evalChain(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first.name, first, cmd, cmd.args.slice(1), final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariable(first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        return this.fail("nil is not a command");
      case "number":
        return this.constant(first);
      case "string":
        return first.text;
    }
  }

  private constant(node: NumberNode): Maybe {
    this.at(node);
    if (node.isFloatSyntax) return new GoFloat(node.float as number);
    if (node.int !== undefined) return new GoInt(node.int);
    // An unsigned constant beyond int64: Go parses it, and fails here.
    return this.fail(`${node.text} overflows int`);
  }

  private evalChain(dot: Maybe, chain: Extract<Operand, { type: "chain" }>, args: Operand[], final: Final): Maybe {
    this.at(chain);
    if (chain.node.type === "nil") this.fail(`indirection through explicit nil in ${operandString(chain)}`);
    // Go evaluates the receiver untyped: no value stays no value (a "value" parameter's rule).
    const receiver = this.evalArg(dot, "value", chain.node);
    return this.evalFieldChain(receiver, false, chain.fields, args, final);
  }

  private evalVariable(node: Extract<Operand, { type: "variable" }>, args: Operand[], final: Final) {
    this.at(node);
    const v = this.variable(node.ident[0] as string);
    if (node.ident.length === 1) {
      this.notAFunction(args, final);
      return v.value;
    }
    return this.evalFieldChain(v.value, v.wrapped === true, node.ident.slice(1), args, final);
  }

  /** Go reports a field's failure where evaluation last stood (the receiver), not at the chain. */
  private evalFieldChain(receiver: Maybe, wrapped: boolean, fields: string[], args: Operand[], final: Final): Maybe {
    let current = receiver;
    fields.forEach((field, i) => {
      const last = i === fields.length - 1;
      current = this.evalField(field, last ? args : [], last ? final : NO_FINAL, current, wrapped || i > 0);
    });
    return current;
  }

  private evalField(field: string, args: Operand[], final: Final, receiver: Maybe, fromData: boolean) {
    if (receiver === MISSING) return MISSING;
    const type = fromData || receiver === null ? "interface {}" : typeName(receiver);
    if (receiver === null) this.fail(`nil pointer evaluating ${type}.${field}`);
    if (isMap(receiver)) {
      if (args.length > 1 || final !== NO_FINAL) this.fail(`${field} is not a method but has arguments`);
      return receiver.has(field) ? (receiver.get(field) as GoValue) : MISSING;
    }
    return this.fail(`can't evaluate field ${field} in type ${type}`);
  }

  /** Whether evaluating `node` gives a value typed interface {}: a map's element (a field), a
   *  range element (dot, a range variable). Pipelines, functions and constants give typed values. */
  private isWrapped(node: Operand): boolean {
    switch (node.type) {
      case "field":
      case "chain":
        return true;
      case "dot":
        return this.dotWrapped;
      case "variable":
        return node.ident.length > 1 || this.variable(node.ident[0] as string).wrapped === true;
      default:
        return false;
    }
  }

  private evalFunction(dot: Maybe, name: string, node: Operand, cmd: Command, args: Operand[], final: Final): Maybe {
    this.at(node);
    const spec = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
    if (!spec) return this.fail(`${JSON.stringify(name)} is not a defined function`);
    const count = args.length + (final === NO_FINAL ? 0 : 1);
    if (spec.variadic) {
      if (count < spec.params.length) {
        this.fail(`wrong number of args for ${name}: want at least ${spec.params.length} got ${count}`);
      }
    } else if (count !== spec.params.length) {
      this.fail(`wrong number of args for ${name}: want ${spec.params.length} got ${count}`);
    }
    const paramOf = (i: number) => spec.params[i] ?? (spec.variadic as Param);
    if (name === "and" || name === "or") {
      let value: Maybe = MISSING;
      for (const arg of args) {
        value = this.evalArg(dot, "value", arg);
        if (truth(value === MISSING ? null : value) === (name === "or")) return value;
      }
      if (final !== NO_FINAL) value = this.checkType(final, "value");
      return value;
    }
    const values = args.map((arg, i) => this.evalArg(dot, paramOf(i), arg));
    const wrapped = args.map((arg) => this.isWrapped(arg));
    if (final !== NO_FINAL) {
      values.push(this.checkType(final, paramOf(args.length)));
      wrapped.push(false);
    }
    try {
      return spec.call(values, wrapped, (i) => operandString(args[i] as Operand));
    } catch (err) {
      if (!(err instanceof TemplateError) || err instanceof Unsupported) throw err;
      this.at(cmd);
      return this.fail(`error calling ${name}: ${err.message}`);
    }
  }

  /** Go's validateType for a value given to a parameter of kind `param`. */
  private checkType(value: Maybe, param: Param): Maybe {
    if (value === MISSING && param !== "value") {
      if (param === "any") return null;
      this.fail("invalid value; expected string");
    }
    if (param === "string" && typeof value !== "string") {
      this.fail(`wrong type for value; expected string; got ${value === null ? "<nil>" : typeName(value)}`);
    }
    return value;
  }

  private evalArg(dot: Maybe, param: Param, node: Operand): Maybe {
    this.at(node);
    switch (node.type) {
      case "dot":
        return this.checkType(dot, param);
      case "nil":
        // A nil reflect.Value is no value at all; a nil interface {} is nil.
        if (param === "value") return MISSING;
        if (param === "any") return null;
        return this.fail("cannot assign nil to string");
      case "field":
        return this.checkType(this.evalFieldChain(dot, this.dotWrapped, node.ident, [node], NO_FINAL), param);
      case "variable":
        return this.checkType(this.evalVariable(node, [node], NO_FINAL), param);
      case "pipe":
        return this.checkType(this.evalPipeline(dot, node), param);
      case "identifier":
        return this.checkType(
          this.evalFunction(dot, node.name, node, { type: "command", pos: node.pos, args: [node] }, [], NO_FINAL),
          param,
        );
      case "chain":
        return this.checkType(this.evalChain(dot, node, [], NO_FINAL), param);
    }
    if (param === "string") {
      if (node.type === "string") return node.text;
      return this.fail(`expected string; found ${operandString(node)}`);
    }
    switch (node.type) {
      case "bool":
        return node.value;
      case "number":
        return this.constant(node);
      case "string":
        return node.text;
    }
  }
}
