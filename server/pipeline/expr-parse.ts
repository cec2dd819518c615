import { LIMITS } from "./limits";

/** Syntax tree of a `${{ }}` expression. `at` is the character offset inside the expression. */
export type Expr =
  | { type: "literal"; value: null | boolean | number | string; at: number }
  | { type: "context"; name: string; at: number }
  | { type: "property"; object: Expr; name: string; at: number }
  | { type: "index"; object: Expr; index: Expr; at: number }
  | { type: "filter"; object: Expr; at: number }
  | { type: "not"; operand: Expr; at: number }
  | { type: "binary"; op: BinaryOp; left: Expr; right: Expr; at: number }
  | { type: "call"; name: FunctionName; args: Expr[]; at: number };

export type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";

/** Function name -> [min, max] argument count. */
export const FUNCTIONS = {
  contains: [2, 2],
  startsWith: [2, 2],
  endsWith: [2, 2],
  format: [1, Infinity],
  join: [1, 2],
  toJSON: [1, 1],
  fromJSON: [1, 1],
  hashFiles: [1, Infinity],
  success: [0, 0],
  failure: [0, 0],
  always: [0, 0],
  cancelled: [0, 0],
} as const;
export type FunctionName = keyof typeof FUNCTIONS;
export const STATUS_FUNCTIONS: readonly FunctionName[] = ["success", "failure", "always", "cancelled"];

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    /** Character offset inside the expression. */
    readonly at: number,
  ) {
    super(message);
    this.name = "ExpressionSyntaxError";
  }
}

type Token =
  | { kind: "number"; value: number; at: number; text: string }
  | { kind: "string"; value: string; at: number; text: string }
  | { kind: "ident"; value: string; at: number; text: string }
  | { kind: "punct"; value: string; at: number; text: string }
  | { kind: "end"; value: ""; at: number; text: "end of expression" };

const NUMBER = /^-?(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i;
// Identifiers may contain "-": job ids such as `deploy-dev` appear in `needs.deploy-dev.result`.
const IDENT = /^[a-z_][a-z0-9_-]*/i;
const PUNCT = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "*"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (rest[0] === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new ExpressionSyntaxError("this string is missing its closing quote (')", i);
        if (source[j] === "'") {
          if (source[j + 1] !== "'") break;
          j++; // '' is an escaped quote
        }
        value += source[j];
        j++;
      }
      tokens.push({ kind: "string", value, at: i, text: source.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number && !IDENT.test(rest.slice(number[0].length))) {
      // Number("-0x1f") is NaN, so the sign is applied separately.
      const text = number[0];
      const value = text.startsWith("-") ? -Number(text.slice(1)) : Number(text);
      tokens.push({ kind: "number", value, at: i, text });
      i += number[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      tokens.push({ kind: "ident", value: ident[0], at: i, text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCT.find((p) => rest.startsWith(p));
    if (!punct) {
      const hint = rest[0] === '"' ? " (strings use single quotes)" : "";
      throw new ExpressionSyntaxError(`unexpected character "${rest[0]}"${hint}`, i);
    }
    tokens.push({ kind: "punct", value: punct, at: i, text: punct });
    i += punct.length;
  }
  tokens.push({ kind: "end", value: "", at: source.length, text: "end of expression" });
  return tokens;
}

const functionNames = new Map(Object.keys(FUNCTIONS).map((name) => [name.toLowerCase(), name as FunctionName]));

/** Parses the inside of `${{ }}` (or a bare `if:`). Throws `ExpressionSyntaxError`. */
export function parseExpression(source: string): Expr {
  if (source.length > LIMITS.maxExpressionLength) {
    throw new ExpressionSyntaxError(`the expression is longer than ${LIMITS.maxExpressionLength} characters`, 0);
  }
  const tokens = tokenize(source);
  if (tokens.length === 1) throw new ExpressionSyntaxError("the expression is empty", 0);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const isPunct = (value: string) => peek().kind === "punct" && peek().value === value;
  const expect = (value: string, after: string) => {
    if (!isPunct(value)) throw new ExpressionSyntaxError(`expected "${value}" ${after}, found ${peek().text}`, peek().at);
    pos++;
  };

  const binary = (ops: BinaryOp[], next: () => Expr) => (): Expr => {
    let left = next();
    while (peek().kind === "punct" && ops.includes(peek().value as BinaryOp)) {
      const token = tokens[pos++];
      const right = next();
      left = { type: "binary", op: token.value as BinaryOp, left, right, at: token.at };
    }
    return left;
  };

  const unary = (): Expr => {
    if (isPunct("!")) {
      const at = tokens[pos++].at;
      return { type: "not", operand: nested(unary), at };
    }
    return postfix(primary());
  };
  const comparison = binary(["<", "<=", ">", ">="], unary);
  const equality = binary(["==", "!="], comparison);
  const and = binary(["&&"], equality);
  const or = binary(["||"], and);

  // Guards the recursive descent against expressions like "((((((...".
  function nested<T>(parse: () => T): T {
    if (++depth > LIMITS.maxExpressionDepth) {
      throw new ExpressionSyntaxError(`the expression nests deeper than ${LIMITS.maxExpressionDepth} levels`, peek().at);
    }
    const result = parse();
    depth--;
    return result;
  }

  function primary(): Expr {
    const token = tokens[pos++];
    switch (token.kind) {
      case "number":
      case "string":
        return { type: "literal", value: token.value, at: token.at };
      case "ident":
        return identifier(token.value, token.at);
      case "punct":
        if (token.value === "(") {
          const inner = nested(or);
          expect(")", "to close the parenthesis");
          return inner;
        }
        break;
    }
    throw new ExpressionSyntaxError(
      token.kind === "end" ? "expected a value at the end of the expression" : `expected a value, found "${token.text}"`,
      token.at,
    );
  }

  function identifier(name: string, at: number): Expr {
    const lower = name.toLowerCase();
    if (lower === "true" || lower === "false") return { type: "literal", value: lower === "true", at };
    if (lower === "null") return { type: "literal", value: null, at };
    if (!isPunct("(")) return { type: "context", name, at };
    const fn = functionNames.get(lower);
    if (!fn) {
      throw new ExpressionSyntaxError(`unknown function "${name}" (available: ${Object.keys(FUNCTIONS).join(", ")})`, at);
    }
    pos++;
    const args: Expr[] = [];
    while (!isPunct(")")) {
      if (args.length > 0) expect(",", "between arguments");
      args.push(nested(or));
    }
    pos++;
    const [min, max] = FUNCTIONS[fn];
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw new ExpressionSyntaxError(`${fn}() takes ${wanted} argument${min === 1 && max === 1 ? "" : "s"}, got ${args.length}`, at);
    }
    return { type: "call", name: fn, args, at };
  }

  function postfix(object: Expr): Expr {
    for (;;) {
      if (isPunct(".")) {
        const dot = tokens[pos++];
        const next = tokens[pos++];
        if (next.kind === "punct" && next.value === "*") object = { type: "filter", object, at: dot.at };
        else if (next.kind === "ident") object = { type: "property", object, name: next.value, at: next.at };
        else throw new ExpressionSyntaxError(`expected a property name after ".", found ${next.text}`, next.at);
      } else if (isPunct("[")) {
        const open = tokens[pos++];
        if (isPunct("*")) {
          pos++;
          object = { type: "filter", object, at: open.at };
        } else {
          object = { type: "index", object, index: nested(or), at: open.at };
        }
        expect("]", "to close the index");
      } else {
        return object;
      }
    }
  }

  const expr = or();
  if (peek().kind !== "end") {
    throw new ExpressionSyntaxError(`unexpected "${peek().text}" after a complete expression`, peek().at);
  }
  return expr;
}

/** Calls `visit` on every node of the tree, parents first. */
export function walkExpression(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  switch (expr.type) {
    case "property":
    case "filter":
      return walkExpression(expr.object, visit);
    case "index":
      walkExpression(expr.object, visit);
      return walkExpression(expr.index, visit);
    case "not":
      return walkExpression(expr.operand, visit);
    case "binary":
      walkExpression(expr.left, visit);
      return walkExpression(expr.right, visit);
    case "call":
      return expr.args.forEach((arg) => walkExpression(arg, visit));
  }
}
