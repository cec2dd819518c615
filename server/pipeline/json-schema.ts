import { LIMITS } from "./limits";
import { BUILTINS, DEPLOY_STRATEGIES } from "./model";

/**
 * JSON Schema (draft-07, the draft editors' YAML plugins handle best) of the
 * pipeline file, published at /schema/pipeline.json. It mirrors what
 * parsePipeline accepts; rules it cannot express (needs targets, cycles,
 * expressions, cron syntax) are left to parsePipeline.
 *
 * After changing it, regenerate the published file from the repository root:
 *   npx tsx -e 'import("./server/pipeline/json-schema.ts").then(async (m) => (await import("node:fs")).writeFileSync("public/schema/pipeline.json", m.pipelineSchemaJson()))'
 */

const NAME = "^[A-Za-z_][A-Za-z0-9_-]*$";
const ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const text = (description: string) => ({ type: "string", description });
const scalar = { type: ["string", "number", "boolean"] };
const int = (minimum: number, maximum: number, description: string) => ({ type: "integer", minimum, maximum, description });
const num = (minimum: number, maximum: number, description: string) => ({ type: "number", minimum, maximum, description });
const strict = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "object",
  additionalProperties: false,
  properties,
  ...extra,
});
const globs = (description: string) => ({ type: "array", items: { type: "string", minLength: 1 }, description });

const withParams = {
  checkout: strict({
    "fetch-depth": int(0, 1_000_000, "Commits to fetch; 0 fetches the whole history."),
    path: text("Directory in the workspace to check out into."),
  }),
  cache: strict(
    {
      key: text("Cache key, e.g. deps-${{ hashFiles('package-lock.json') }}."),
      path: ref("stringOrList"),
      paths: ref("stringOrList"),
      "restore-keys": ref("stringOrList"),
    },
    { required: ["key"], oneOf: [{ required: ["path"] }, { required: ["paths"] }] },
  ),
  "upload-artifact": strict(
    {
      name: text("Artifact name that later jobs download."),
      path: ref("stringOrList"),
      "retention-days": int(1, 90, "Days to keep the artifact."),
    },
    { required: ["name", "path"] },
  ),
  "download-artifact": strict(
    { name: text("Name of an artifact uploaded by a job this one needs."), path: text("Where to put it.") },
    { required: ["name"] },
  ),
};

const definitions = {
  stringOrList: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
  env: {
    type: "object",
    description: "Environment variables.",
    propertyNames: { pattern: ENV_NAME },
    additionalProperties: { type: ["string", "number", "boolean", "null"] },
  },
  expression: text("Expression, with or without ${{ }}: e.g. run.branch == 'main'."),
  concurrency: {
    oneOf: [
      text("Concurrency group; runs in the same group wait for each other."),
      strict({ group: { type: "string" }, "cancel-in-progress": { type: "boolean" } }, { required: ["group"] }),
    ],
  },
  defaults: strict({
    run: strict({ shell: { type: "string" }, "working-directory": { type: "string" } }),
  }),
  push: {
    type: ["object", "null"],
    additionalProperties: false,
    properties: {
      branches: globs("Branch globs; !pattern excludes."),
      "branches-ignore": globs("Branch globs that do not trigger."),
      tags: globs("Tag globs; !pattern excludes."),
      "tags-ignore": globs("Tag globs that do not trigger."),
      paths: globs("Run only when a changed file matches."),
      "paths-ignore": globs("Skip when every changed file matches."),
    },
  },
  pullRequest: {
    type: ["object", "null"],
    additionalProperties: false,
    properties: {
      branches: globs("Base branch globs; !pattern excludes."),
      "branches-ignore": globs("Base branch globs that do not trigger."),
      paths: globs("Run only when a changed file matches."),
      "paths-ignore": globs("Skip when every changed file matches."),
    },
  },
  input: strict({
    type: { enum: ["string", "boolean", "choice", "number"], default: "string" },
    description: { type: "string" },
    required: { type: "boolean" },
    default: scalar,
    options: { type: "array", items: { type: ["string", "number"] }, minItems: 1 },
  }),
  manual: {
    type: ["object", "null"],
    additionalProperties: false,
    properties: {
      inputs: { type: "object", propertyNames: { pattern: NAME }, additionalProperties: ref("input") },
    },
  },
  schedule: {
    type: "array",
    items: strict(
      {
        cron: text("Five fields: minute hour day-of-month month day-of-week, or @daily etc."),
        timezone: text("IANA time zone, e.g. Europe/Berlin; UTC when absent."),
      },
      { required: ["cron"] },
    ),
  },
  on: {
    oneOf: [
      { enum: ["push", "pull_request", "manual", "workflow_dispatch"] },
      { type: "array", items: { enum: ["push", "pull_request", "manual", "workflow_dispatch"] } },
      strict({
        push: ref("push"),
        pull_request: ref("pullRequest"),
        manual: ref("manual"),
        workflow_dispatch: ref("manual"),
        schedule: ref("schedule"),
      }),
    ],
  },
  step: strict(
    {
      name: { type: "string" },
      id: { type: "string", pattern: NAME },
      if: { type: ["string", "boolean"] },
      env: ref("env"),
      "continue-on-error": { type: "boolean" },
      "timeout-minutes": num(0.01, 4320, "Minutes before the step is stopped."),
      run: text("Command to run."),
      shell: { type: "string" },
      "working-directory": { type: "string" },
      uses: { enum: [...BUILTINS], description: "A built-in step." },
      with: { type: "object" },
    },
    {
      oneOf: [
        { required: ["run"], not: { required: ["uses"] } },
        { required: ["uses"], not: { required: ["run"] } },
      ],
      allOf: BUILTINS.map((name) => ({
        if: { properties: { uses: { const: name } }, required: ["uses"] },
        then: { properties: { with: withParams[name] } },
      })),
    },
  ),
  matrix: {
    type: "object",
    properties: {
      include: { type: "array", items: { type: "object" } },
      exclude: { type: "array", items: { type: "object" } },
    },
    propertyNames: { pattern: NAME },
    additionalProperties: { type: "array", minItems: 1 },
  },
  environment: {
    oneOf: [{ type: "string" }, strict({ name: { type: "string" }, url: { type: "string" } }, { required: ["name"] })],
  },
  healthCheck: strict(
    {
      path: { type: "string", pattern: "^/" },
      status: int(100, 599, "Expected HTTP status; 200 when absent."),
      "interval-seconds": int(1, 3600, "Seconds between checks; 10 when absent."),
      "failure-threshold": int(1, 100, "Failed checks in a row that fail the deployment; 3 when absent."),
    },
    { required: ["path"] },
  ),
  deploy: {
    type: "object",
    required: ["strategy"],
    properties: {
      image: text("Image to deploy."),
      artifact: text("Artifact (from a needed job) to deploy."),
      strategy: {
        oneOf: [
          { enum: [...DEPLOY_STRATEGIES] },
          {
            type: "object",
            minProperties: 1,
            maxProperties: 1,
            properties: Object.fromEntries(DEPLOY_STRATEGIES.map((s) => [s, { type: ["object", "null"] }])),
            additionalProperties: false,
          },
        ],
      },
      "health-check": ref("healthCheck"),
    },
  },
  job: strict(
    {
      name: { type: "string" },
      needs: ref("stringOrList"),
      if: { type: ["string", "boolean"] },
      image: text("Container image the job runs in."),
      "runs-on": { ...ref("stringOrList"), description: "Worker pool labels." },
      env: ref("env"),
      "timeout-minutes": num(0.01, 4320, "Minutes before the job is stopped."),
      "continue-on-error": { type: "boolean" },
      retries: int(0, 5, "Times to retry a failed job."),
      strategy: strict({
        matrix: ref("matrix"),
        "fail-fast": { type: "boolean" },
        "max-parallel": int(1, LIMITS.maxMatrixCombinations, "Matrix jobs running at once."),
      }),
      concurrency: ref("concurrency"),
      defaults: ref("defaults"),
      steps: { type: "array", items: ref("step"), minItems: 1 },
      environment: ref("environment"),
      deploy: ref("deploy"),
      outputs: { type: "object", additionalProperties: { type: "string" } },
    },
    { oneOf: [{ required: ["steps"] }, { required: ["deploy"] }] },
  ),
};

export const pipelineSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Slipway pipeline",
  description: "A Slipway pipeline (.slipway.yml): triggers, environment and jobs, shaped like a GitHub Actions workflow.",
  ...strict(
    {
      name: text("Pipeline name."),
      on: ref("on"),
      env: ref("env"),
      concurrency: ref("concurrency"),
      defaults: ref("defaults"),
      jobs: {
        type: "object",
        minProperties: 1,
        maxProperties: LIMITS.maxJobs,
        propertyNames: { pattern: NAME },
        additionalProperties: ref("job"),
      },
    },
    { required: ["on", "jobs"], patternProperties: { "^x-": { description: "Free for YAML anchors to share." } } },
  ),
  definitions,
};

/** The published file's exact text. */
export function pipelineSchemaJson(): string {
  return `${JSON.stringify(pipelineSchema, null, 2)}\n`;
}
