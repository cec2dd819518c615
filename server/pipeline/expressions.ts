import { evaluateExpr, stringify, truthy, type ExpressionContext } from "./expr-eval";
import { ExpressionSyntaxError, parseExpression, STATUS_FUNCTIONS, walkExpression, type Expr } from "./expr-parse";

export {
  CONTEXT_NAMES,
  ExpressionError,
  type ContextName,
  type ExpressionContext,
  type StatusContext,
} from "./expr-eval";
export { ExpressionSyntaxError, FUNCTIONS, parseExpression, walkExpression, type Expr } from "./expr-parse";

/** One `${{ ... }}` inside a string; offsets index the string. */
export interface FoundExpression {
  /** Offset of `${{`. */
  start: number;
  /** Offset just past `}}`. */
  end: number;
  /** Text between the braces, untrimmed. */
  inner: string;
  innerStart: number;
}

/**
 * Finds every `${{ }}` in `text`. A `}}` inside a quoted string does not close
 * the expression. Throws `ExpressionSyntaxError` (offset into `text`) for a `${{`
 * that is never closed.
 */
export function findExpressions(text: string): FoundExpression[] {
  const found: FoundExpression[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf("${{", from);
    if (start < 0) return found;
    let i = start + 3;
    let inString = false;
    while (i < text.length && (inString || !text.startsWith("}}", i))) {
      if (text[i] === "'") inString = !inString;
      i++;
    }
    if (i >= text.length) throw new ExpressionSyntaxError('"${{" is never closed with "}}"', start);
    found.push({ start, end: i + 2, inner: text.slice(start + 3, i), innerStart: start + 3 });
    from = i + 2;
  }
}

/** Replaces each `${{ expr }}` in `template` with the string form of its value. */
export function interpolate(template: string, context: ExpressionContext): string {
  let out = "";
  let last = 0;
  for (const found of findExpressions(template)) {
    out += template.slice(last, found.start) + stringify(evaluateExpr(parseExpression(found.inner), context));
    last = found.end;
  }
  return out + template.slice(last);
}

/**
 * Like `interpolate`, but a template that is exactly one expression keeps the
 * value's type (`${{ inputs.depth }}` gives a number), as typed fields need.
 */
export function evaluateTemplate(template: string, context: ExpressionContext): unknown {
  const only = singleExpression(template);
  return only === undefined ? interpolate(template, context) : evaluateExpr(parseExpression(only), context);
}

/** Evaluates a bare expression (no `${{ }}`). */
export function evaluate(expression: string, context: ExpressionContext): unknown {
  return evaluateExpr(parseExpression(expression), context);
}

/** The inner text when the whole of `text` is one `${{ }}` (surrounding whitespace allowed). */
export function singleExpression(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("${{")) return undefined;
  const found = findExpressions(trimmed);
  return found.length === 1 && found[0].start === 0 && found[0].end === trimmed.length ? found[0].inner : undefined;
}

export function hasStatusFunction(expr: Expr): boolean {
  let found = false;
  walkExpression(expr, (node) => {
    if (node.type === "call" && STATUS_FUNCTIONS.includes(node.name)) found = true;
  });
  return found;
}

/**
 * The source to parse for an `if:`: GitHub lets it be written with or without
 * `${{ }}`. Undefined when the condition mixes text and expressions, which is
 * then a template whose interpolated string decides.
 */
export function conditionSource(condition: string): string | undefined {
  if (!condition.includes("${{")) return condition;
  return singleExpression(condition);
}

/**
 * Decides an `if:` with GitHub semantics: no condition means `success()`, and a
 * condition without a status function is implicitly `success() && (...)`.
 */
export function evaluateCondition(condition: string | undefined, context: ExpressionContext): boolean {
  const succeeded = !context.status?.failed && !context.status?.cancelled;
  if (condition === undefined || condition.trim() === "") return succeeded;
  const source = conditionSource(condition);
  if (source === undefined) return succeeded && truthy(interpolate(condition, context));
  const expr = parseExpression(source);
  if (hasStatusFunction(expr)) return truthy(evaluateExpr(expr, context));
  return succeeded && truthy(evaluateExpr(expr, context));
}
