import { didYouMean, type Path } from "./diagnostics";
import {
  CONTEXT_NAMES,
  ExpressionSyntaxError,
  findExpressions,
  parseExpression,
  walkExpression,
  type Expr,
} from "./expressions";
import type { Job } from "./model";
import type { Ctx } from "./reader";
import type { SNode, SScalar } from "./source";

export interface ExpressionScope {
  /** Declared manual inputs. */
  inputs: Set<string>;
  jobs: Map<string, Job>;
}

const CONTEXT_SYNONYMS: Record<string, string> = { github: "run", gitlab: "run", ci: "run" };

/**
 * Parses every `${{ }}` in the document's values and every bare `if:`, and
 * checks what they read against what the pipeline declares.
 */
export function validateExpressions(ctx: Ctx, root: SNode, scope: ExpressionScope): void {
  const visit = (node: SNode, path: Path): void => {
    if (node.kind === "map") node.entries.forEach((e) => visit(e.value, [...path, e.key]));
    else if (node.kind === "seq") node.items.forEach((item, index) => visit(item, [...path, index]));
    else if (typeof node.value === "string") checkScalar(ctx, node, path, scope);
  };
  visit(root, []);
}

function isCondition(path: Path): boolean {
  const isJobIf = path.length === 3 && path[0] === "jobs";
  const isStepIf = path.length === 5 && path[0] === "jobs" && path[2] === "steps";
  return (isJobIf || isStepIf) && path[path.length - 1] === "if";
}

function checkScalar(ctx: Ctx, node: SScalar, path: Path, scope: ExpressionScope): void {
  const text = node.value as string;
  const job = path[0] === "jobs" && typeof path[1] === "string" ? scope.jobs.get(path[1]) : undefined;
  let found;
  try {
    found = findExpressions(text);
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    ctx.d.error(`Invalid expression: ${error.message}.`, locate(ctx, node, text.slice(error.at).split("\n")[0]), path);
    return;
  }
  if (found.length === 0) {
    // `if:` may be written without ${{ }}; it is an expression all the same.
    if (isCondition(path)) check(ctx, text, node, text, path, scope, job);
    return;
  }
  if (isCondition(path) && !(found.length === 1 && text.trim() === text.slice(found[0].start, found[0].end))) {
    ctx.d.warn(
      "This if mixes text and ${{ }}, so it is a string and always true; write the whole condition as one expression.",
      node.pos,
      path,
    );
  }
  for (const expression of found) {
    check(ctx, expression.inner, node, text.slice(expression.start, expression.end), path, scope, job);
  }
}

function check(
  ctx: Ctx,
  source: string,
  node: SScalar,
  shown: string,
  path: Path,
  scope: ExpressionScope,
  job: Job | undefined,
): void {
  const at = locate(ctx, node, shown);
  const quoted = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  let expr: Expr;
  try {
    expr = parseExpression(source);
  } catch (error) {
    if (!(error instanceof ExpressionSyntaxError)) throw error;
    ctx.d.error(`Invalid expression "${quoted}": ${error.message}.`, at, path);
    return;
  }
  walkExpression(expr, (n) => {
    if (n.type === "context") {
      if (!(CONTEXT_NAMES as readonly string[]).includes(n.name.toLowerCase())) {
        const hint = didYouMean(n.name, CONTEXT_NAMES, CONTEXT_SYNONYMS);
        ctx.d.error(`Unknown context "${n.name}" in "${quoted}"; available: ${CONTEXT_NAMES.join(", ")}.${hint}`, at, path);
      }
      return;
    }
    if (n.type !== "property" || n.object.type !== "context") return;
    const context = n.object.name.toLowerCase();
    if (context === "needs" && job && !job.needs.includes(n.name)) {
      ctx.d.error(
        `"${quoted}" reads needs.${n.name}, but job "${job.id}" does not need "${n.name}"; add it to needs.`,
        at,
        path,
      );
    } else if (context === "inputs" && !scope.inputs.has(n.name)) {
      ctx.d.warn(`"${quoted}" reads inputs.${n.name}, which on.manual.inputs does not declare.`, at, path);
    } else if (context === "matrix" && job && !matrixKeys(job).has(n.name)) {
      ctx.d.warn(`"${quoted}" reads matrix.${n.name}, which the matrix of job "${job.id}" does not define.`, at, path);
    }
  });
}

function matrixKeys(job: Job): Set<string> {
  const matrix = job.strategy?.matrix;
  if (!matrix) return new Set();
  return new Set([...Object.keys(matrix.axes), ...matrix.include.flatMap((entry) => Object.keys(entry))]);
}

/** Where `fragment` is written inside the scalar; the scalar's start when escapes or folding hide it. */
function locate(ctx: Ctx, node: SScalar, fragment: string) {
  const index = node.raw.indexOf(fragment);
  return index < 0 ? node.pos : ctx.positionAt(node.offset + index);
}
