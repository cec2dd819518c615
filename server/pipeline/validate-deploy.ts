import { didYouMean, type Path, type Position } from "./diagnostics";
import { DEPLOY_STRATEGIES, type Deploy, type DeployStrategyName, type HealthCheck } from "./model";
import { asMap, asString, definedIf, describe, Fields, isNull, toPlain, type Ctx } from "./reader";
import type { SNode } from "./source";

const DEPLOY_KEYS = ["image", "artifact", "strategy", "health-check"];
const CANARY_STEPS = ["set-weight", "pause", "analysis"];

/**
 * Checks the deploy section's typed parts. Strategy settings belong to the
 * deploy engine, so only the strategy name and the settings' basic shape are
 * checked here; unknown keys are warnings, not errors, for the same reason.
 */
export function validateDeploy(ctx: Ctx, node: SNode, path: Path): Deploy | undefined {
  const map = asMap(ctx, node, path, "deploy");
  if (!map) return undefined;
  const f = new Fields(ctx, map, path);
  f.allow(DEPLOY_KEYS, "deploy", { healthcheck: "health-check", health: "health-check" }, "warning");
  const strategyNode = f.node("strategy");
  if (!strategyNode) {
    ctx.d.error(`deploy needs a strategy: one of ${DEPLOY_STRATEGIES.join(", ")}.`, map.pos, f.at("strategy"));
    return undefined;
  }
  const strategy = readStrategy(ctx, strategyNode, f.at("strategy"));
  if (!strategy) return undefined;
  const healthCheck = f.mapping("health-check");
  const deploy: Deploy = {
    strategy: strategy.name,
    settings: strategy.settings,
    ...definedIf("image", f.string("image")),
    ...definedIf("artifact", f.string("artifact")),
    ...definedIf("healthCheck", healthCheck && readHealthCheck(healthCheck, f.entry("health-check")!.keyPos)),
  };
  return deploy;
}

/** `strategy: canary`, or Argo Rollouts' `strategy: { canary: { steps: [...] } }`. */
function readStrategy(
  ctx: Ctx,
  node: SNode,
  path: Path,
): { name: DeployStrategyName; settings: Record<string, unknown> } | undefined {
  let nameNode: { name: string; pos: Position } | undefined;
  let settings: SNode | undefined;
  if (node.kind === "map") {
    if (node.entries.length !== 1) {
      const names = DEPLOY_STRATEGIES.join(", ");
      const message = `strategy must name one of ${names}, as \`strategy: canary\` or \`strategy: { canary: { ... } }\`.`;
      ctx.d.error(message, node.pos, path);
      return undefined;
    }
    const [{ key, keyPos, value }] = node.entries;
    nameNode = { name: key, pos: keyPos };
    settings = isNull(value) ? undefined : value;
  } else {
    const name = asString(ctx, node, path, "strategy");
    if (name === undefined) return undefined;
    nameNode = { name, pos: node.pos };
  }
  const name = DEPLOY_STRATEGIES.find((s) => s === nameNode.name);
  if (!name) {
    const hint = didYouMean(nameNode.name, DEPLOY_STRATEGIES, { bluegreen: "blue-green", blue_green: "blue-green" });
    ctx.d.error(`Unknown deploy strategy "${nameNode.name}"; use one of ${DEPLOY_STRATEGIES.join(", ")}.${hint}`, nameNode.pos, path);
    return undefined;
  }
  if (!settings) return { name, settings: {} };
  const at = [...path, name];
  const map = asMap(ctx, settings, at, `${name} settings`);
  if (!map) return undefined;
  if (name === "canary") checkCanarySteps(new Fields(ctx, map, at));
  return { name, settings: toPlain(map) as Record<string, unknown> };
}

function checkCanarySteps(f: Fields): void {
  const steps = f.node("steps");
  if (!steps) return;
  if (steps.kind !== "seq") {
    f.ctx.d.error(`canary steps must be a list such as \`- set-weight: 20\`, got ${describe(steps)}.`, steps.pos, f.at("steps"));
    return;
  }
  steps.items.forEach((item, index) => {
    const at = [...f.at("steps"), index];
    if (item.kind !== "map" || item.entries.length !== 1) {
      f.ctx.d.error(`Each canary step has exactly one of ${CANARY_STEPS.join(", ")}, e.g. \`- set-weight: 20\`.`, item.pos, at);
      return;
    }
    const [{ key, keyPos, value }] = item.entries;
    if (!CANARY_STEPS.includes(key)) {
      const hint = didYouMean(key, CANARY_STEPS);
      f.ctx.d.error(`Unknown canary step "${key}"; use one of ${CANARY_STEPS.join(", ")}.${hint}`, keyPos, [...at, key]);
    } else if (key === "set-weight") {
      new Fields(f.ctx, item, at).int("set-weight", 0, 100, "percent");
    } else if (!isNull(value)) {
      asMap(f.ctx, value, [...at, key], key);
    }
  });
}

function readHealthCheck(f: Fields, keyPos: Position): HealthCheck | undefined {
  f.allow(["path", "status", "interval-seconds", "failure-threshold"], "health-check");
  const path = f.string("path");
  if (path === undefined) {
    if (!f.entry("path")) f.ctx.d.error("health-check needs a path, e.g. `path: /healthz`.", keyPos, f.at("path"));
    return undefined;
  }
  if (!path.startsWith("/")) {
    f.ctx.d.error(`health-check path must start with "/", got "${path}".`, f.node("path")!.pos, f.at("path"));
    return undefined;
  }
  return {
    path,
    status: f.int("status", 100, 599) ?? 200,
    intervalSeconds: f.int("interval-seconds", 1, 3600, "seconds") ?? 10,
    failureThreshold: f.int("failure-threshold", 1, 100) ?? 3,
  };
}
