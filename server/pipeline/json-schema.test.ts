import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pipelineSchema, pipelineSchemaJson } from "./json-schema";
import { JOB_KEYS } from "./validate-job";
import { STEP_KEYS } from "./validate-steps";

const PUBLISHED = new URL("../../public/schema/pipeline.json", import.meta.url);

function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [v] : refs(v)));
}

describe("pipeline JSON Schema", () => {
  it("matches public/schema/pipeline.json", () => {
    expect(
      readFileSync(PUBLISHED, "utf8"),
      "public/schema/pipeline.json is stale; regenerate it with the npx tsx one-liner at the top of server/pipeline/json-schema.ts",
    ).toBe(pipelineSchemaJson());
  });

  it("resolves every $ref", () => {
    const definitions = pipelineSchema.definitions as Record<string, unknown>;
    for (const ref of refs(pipelineSchema)) {
      expect(definitions, ref).toHaveProperty([ref.replace("#/definitions/", "")]);
    }
  });

  it("describes the same job and step keys that parsePipeline accepts", () => {
    expect(Object.keys(pipelineSchema.definitions.job.properties).sort()).toEqual([...JOB_KEYS].sort());
    expect(Object.keys(pipelineSchema.definitions.step.properties).sort()).toEqual([...STEP_KEYS].sort());
  });
});
