export type { Diagnostic, Position } from "./diagnostics";
export { parsePipeline, type ParseResult } from "./parse";
export * from "./model";
export { LIMITS } from "./limits";
export {
  CONTEXT_NAMES,
  ExpressionError,
  ExpressionSyntaxError,
  conditionSource,
  evaluate,
  evaluateCondition,
  evaluateTemplate,
  findExpressions,
  interpolate,
  parseExpression,
  walkExpression,
  type ContextName,
  type ExpressionContext,
  type FoundExpression,
  type StatusContext,
} from "./expressions";
export { expandMatrix } from "./matrix";
export { matrixKey, planPipeline, type Plan, type PlanOptions, type PlannedJob } from "./plan";
export {
  coerceInputs,
  filterMatches,
  globMatch,
  matchTrigger,
  type TriggerDecision,
  type TriggerEvent,
} from "./triggers";
export { cronProblem, timezoneProblem } from "./cron";
export { pipelineSchema, pipelineSchemaJson } from "./json-schema";
