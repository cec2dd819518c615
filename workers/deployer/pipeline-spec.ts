import type { Deploy } from "@/server/pipeline";

/**
 * A pipeline's `deploy:` block as deployment settings over the environment's defaults
 * (server/services/targets-config.ts `resolveDeploymentSpec`). The YAML is written the way
 * GitHub Actions and Argo Rollouts users write it: kebab-case keys and durations such as
 * "5m"; the deploy spec is camelCase in seconds. Values are carried over as written, so the
 * spec's own validation explains anything wrong with them.
 */
export function pipelineOverrides(deploy: Deploy): Record<string, unknown> {
  const settings = camelize(deploy.settings) as Record<string, unknown>;
  const overrides: Record<string, unknown> = { ...settings, strategy: deploy.strategy };
  if (deploy.healthCheck) {
    const { path, status, intervalSeconds, failureThreshold } = deploy.healthCheck;
    overrides.healthCheck = { ...(settings.healthCheck as object | undefined), path, expectedStatus: status, intervalSeconds, failureThreshold };
  }
  return overrides;
}

/** Keys written with a unit-less duration ("5m", 30) become their `…Seconds` form. */
const DURATIONS: Record<string, string> = { duration: "durationSeconds", window: "windowSeconds", scaleDownDelay: "scaleDownDelaySeconds" };

function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  // `- pause:` with nothing after it stays null: the spec reads that as "wait for a person".
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const camel = key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (camel in DURATIONS) out[DURATIONS[camel]] = seconds(inner);
    else out[camel] = camelize(inner);
  }
  return out;
}

/** "90s", "5m", "1h", "1h30m" or a number of seconds; anything else is passed on for the spec to refuse. */
export function seconds(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value.trim());
  if (!match || value.trim() === "") return /^\d+$/.test(value.trim()) ? Number(value) : value;
  const [, h = "0", m = "0", s = "0"] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}
