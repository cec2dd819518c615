import { describe, expect, it } from "vitest";
import { validatePipeline } from "./pipelines";

describe("validatePipeline", () => {
  const broken = "on: { manual: {} }\njobs:\n  a: { needs: b, steps: [ { run: x } ] }\n";
  const fixed = "on: { manual: {} }\njobs:\n  a: { steps: [ { run: x } ] }\n";

  it("answers the same text the same way each time and an edited text on its own merits", () => {
    const first = validatePipeline(broken);
    expect(first.map((d) => d.message).join("\n")).toMatch(/b/);
    expect(validatePipeline(broken)).toEqual(first);
    expect(validatePipeline(fixed).filter((d) => d.severity === "error")).toEqual([]);
    expect(validatePipeline(broken)).toEqual(first);
  });

  it("keeps answering correctly after more texts than it remembers", () => {
    for (let i = 0; i < 150; i++) expect(validatePipeline(`${fixed}# ${i}\n`).filter((d) => d.severity === "error")).toEqual([]);
    expect(validatePipeline(broken).length).toBeGreaterThan(0);
  });
});
