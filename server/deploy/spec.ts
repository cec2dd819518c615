import { z } from "zod";

/**
 * The deploy settings of one deployment: the pipeline's `deploy:` block, the environment
 * forms and the workers all parse with `deploymentSpecSchema`, so defaults and messages
 * are the same everywhere. Parse with `safeParse` and show `z.prettifyError(error)`.
 */

const PERCENT = /^\d+%$/;

const seconds = (name: string) =>
  z.number({ error: `${name} must be a number of seconds` }).int(`${name} must be a whole number of seconds`);

const httpStatus = (name: string) =>
  z.number().int().min(100, `${name} must be an HTTP status code`).max(599, `${name} must be an HTTP status code`).default(200);

const replicas = z
  .number({ error: "replicas must be a number" })
  .int("replicas must be a whole number")
  .min(1, "replicas must be at least 1")
  .default(1);

/** A count of instances (`2`) or a share of `replicas` (`"25%"`), as in Kubernetes. */
const intOrPercent = (name: string) => {
  const error = `${name} must be a whole number of instances (2) or a percentage of replicas ("25%")`;
  return z.union([z.number().int(error).min(0, error), z.string().regex(PERCENT, error)], { error });
};

export const healthCheckSchema = z.strictObject({
  path: z.string().startsWith("/", 'healthCheck.path must start with "/", e.g. "/healthz"').default("/"),
  expectedStatus: httpStatus("expectedStatus"),
  /** Probes before this are not made, so a slow start is not counted as failures. */
  initialDelaySeconds: seconds("initialDelaySeconds").min(0).default(0),
  intervalSeconds: seconds("intervalSeconds").min(1, "intervalSeconds must be at least 1").default(5),
  timeoutSeconds: seconds("timeoutSeconds").min(1, "timeoutSeconds must be at least 1").default(2),
  failureThreshold: z.number().int().min(1, "failureThreshold must be at least 1").default(3),
  successThreshold: z.number().int().min(1, "successThreshold must be at least 1").default(1),
});

/**
 * Requests a new instance answers, one after another over one kept-alive connection, once it
 * passed its health check and before it takes traffic: a Node or JVM app answers its first
 * requests late while it compiles the code they run, and these take that delay instead of
 * the users' requests (the idea of AWS ALB's slow start and of Azure App Service's warm-up
 * paths before a slot swap). Only where Slipway's router sends the traffic (docker, local).
 */
export const warmUpSchema = z.strictObject({
  /** The health check's path when left out. A path users hit, such as "/", warms up the code they run. */
  path: z.string().startsWith("/", 'warmUp.path must start with "/", e.g. "/"').optional(),
  requests: z
    .number({ error: "warmUp.requests must be a number" })
    .int("warmUp.requests must be a whole number")
    .min(0, "warmUp.requests must be 0 (no warm-up) or more")
    .max(10_000, "warmUp.requests must be at most 10000")
    .default(200),
});

const common = {
  replicas,
  healthCheck: healthCheckSchema.prefault({}),
  warmUp: warmUpSchema.prefault({}),
};

const isZero = (value: number | string) => value === 0 || value === "0%";

export const rollingSpecSchema = z
  .strictObject({
    strategy: z.literal("rolling"),
    ...common,
    maxSurge: intOrPercent("maxSurge").default("25%"),
    maxUnavailable: intOrPercent("maxUnavailable").default("25%"),
  })
  .refine((spec) => !(isZero(spec.maxSurge) && isZero(spec.maxUnavailable)), {
    error: "maxSurge and maxUnavailable cannot both be 0: the rollout could neither add nor remove an instance",
    path: ["maxUnavailable"],
  });

export const previewCheckSchema = z.strictObject({
  path: z.string().startsWith("/", 'a preview check path must start with "/", e.g. "/healthz"'),
  expectedStatus: httpStatus("expectedStatus"),
});

export const blueGreenSpecSchema = z.strictObject({
  strategy: z.literal("blue-green"),
  ...common,
  /** Switch traffic as soon as green passes its checks; when false a person promotes. */
  autoPromote: z.boolean().default(true),
  /** HTTP requests sent to green through the preview address before the switch. */
  previewChecks: z.array(previewCheckSchema).default([]),
  /** How long blue keeps running after the switch, for an instant rollback. */
  scaleDownDelaySeconds: seconds("scaleDownDelaySeconds").min(0).default(30),
  /** A job of the pipeline run against the preview address before the switch. */
  smokeTestJob: z.string().min(1, "smokeTestJob must name a job").optional(),
});

export const analysisSchema = z.strictObject({
  windowSeconds: seconds("windowSeconds").min(1, "windowSeconds must be at least 1").default(60),
  minRequests: z.number().int().min(1, "minRequests must be at least 1").default(20),
  maxErrorRate: z
    .number()
    .min(0, "maxErrorRate is a fraction between 0 and 1 (0.05 = 5%)")
    .max(1, "maxErrorRate is a fraction between 0 and 1 (0.05 = 5%)")
    .default(0.05),
  maxP99Ms: z.number().positive("maxP99Ms must be above 0").optional(),
  maxP99RatioToStable: z.number().min(1, "maxP99RatioToStable must be at least 1 (1.5 = 50% slower)").optional(),
});

// `- pause:` with nothing after it is YAML null: read it as "wait for a person". Only null:
// a missing key must stay missing, or every step would half-match every option.
const emptyIfNull = (value: unknown) => (value === null ? {} : value);

export const canaryStepSchema = z.union(
  [
    z.strictObject({
      setWeight: z.number().int("setWeight must be a whole percentage").min(0).max(100, "setWeight must be between 0 and 100"),
    }),
    z.strictObject({
      pause: z.preprocess(
        emptyIfNull,
        z.strictObject({ durationSeconds: seconds("durationSeconds").min(1, "durationSeconds must be at least 1").optional() }),
      ),
    }),
    z.strictObject({ analysis: z.preprocess(emptyIfNull, analysisSchema) }),
  ],
  { error: "each canary step is exactly one of setWeight, pause or analysis, e.g. `- setWeight: 20`" },
);

export const canarySpecSchema = z.strictObject({
  strategy: z.literal("canary"),
  ...common,
  steps: z.array(canaryStepSchema).min(1, "a canary needs at least one step, e.g. `- setWeight: 20`"),
});

export const deploymentSpecSchema = z.discriminatedUnion("strategy", [rollingSpecSchema, blueGreenSpecSchema, canarySpecSchema], {
  error: 'strategy must be one of "rolling", "blue-green" or "canary"',
});

export type DeploymentSpec = z.output<typeof deploymentSpecSchema>;
/** What a person may write: every defaulted field optional. */
export type DeploymentSpecInput = z.input<typeof deploymentSpecSchema>;
export type RollingSpec = z.output<typeof rollingSpecSchema>;
export type BlueGreenSpec = z.output<typeof blueGreenSpecSchema>;
export type CanarySpec = z.output<typeof canarySpecSchema>;
export type CanaryStep = z.output<typeof canaryStepSchema>;
export type AnalysisCheck = z.output<typeof analysisSchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;
export type WarmUp = z.output<typeof warmUpSchema>;
export type PreviewCheck = z.output<typeof previewCheckSchema>;
