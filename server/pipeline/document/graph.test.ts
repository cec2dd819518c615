import { describe, expect, it } from "vitest";
import { matrixSize, readGraph } from "./index";

function graphOf(text: string) {
  const result = readGraph(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.graph;
}

describe("readGraph", () => {
  it("describes each job for the canvas", () => {
    const graph = graphOf(`jobs:
  build:
    name: Build
    image: node:20
    runs-on: linux
    steps: [{ run: a }, { run: b }]
  ship:
    needs: [build]
    runs-on: [linux, large]
    environment: { name: production, url: https://x.example }
    deploy: { strategy: canary }
    strategy:
      matrix: { region: [eu, us] }
`);
    expect(graph.jobs).toEqual([
      { id: "build", name: "Build", image: "node:20", runsOn: ["linux"], stepCount: 2, isDeploy: false, matrixSize: 1, line: 2 },
      { id: "ship", runsOn: ["linux", "large"], stepCount: 0, environment: "production", isDeploy: true, matrixSize: 2, line: 7 },
    ]);
    expect(graph.edges).toEqual([{ source: "build", target: "ship" }]);
  });

  it("draws one edge per distinct existing need and none to unknown jobs", () => {
    const graph = graphOf("jobs:\n  a: {}\n  b:\n    needs: [a, a, ghost]\n");
    expect(graph.edges).toEqual([{ source: "a", target: "b" }]);
  });

  it("applies merge keys and aliases as the runner will", () => {
    const graph = graphOf(`x: &defaults
  runs-on: linux
  needs: [a]
jobs:
  a: { steps: [] }
  b:
    <<: *defaults
  c: *defaults
`);
    expect(graph.jobs.map((job) => job.runsOn)).toEqual([undefined, ["linux"], ["linux"]]);
    expect(graph.edges).toEqual([
      { source: "a", target: "b" },
      { source: "a", target: "c" },
    ]);
  });

  it("reads empty documents and an empty jobs mapping as an empty graph", () => {
    for (const text of ["", "# nothing yet\n", "on: push\n", "jobs:\n", "jobs: {}\n"]) {
      expect(graphOf(text)).toEqual({ jobs: [], edges: [] });
    }
  });

  it("returns the YAML error with its line and column so the editor keeps the last graph", () => {
    const result = readGraph("on: push\njobs:\n  a:\n    needs: [b\n  c: {}\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.line).toBeGreaterThanOrEqual(4);
    expect(result.error.column).toBeGreaterThanOrEqual(1);
    expect(result.error.message).not.toContain("\n");
  });

  it("refuses shapes that are no pipeline, pointing at them", () => {
    expect(readGraph("- a\n- b\n")).toMatchObject({ ok: false, error: { line: 1 } });
    expect(readGraph("on: push\njobs: [a, b]\n")).toMatchObject({ ok: false, error: { line: 2, column: 7 } });
    expect(readGraph("jobs:\n  a: just text\n")).toMatchObject({ ok: false, error: { line: 2 } });
    expect(readGraph("jobs:\n  a: {}\n  a: {}\n")).toMatchObject({ ok: false, error: { line: 3 } });
  });
});

describe("matrixSize", () => {
  it("multiplies the axes", () => {
    expect(matrixSize({ os: ["linux", "mac"], node: [18, 20, 22] })).toBe(6);
  });

  it("removes excluded combinations", () => {
    expect(matrixSize({ os: ["linux", "mac"], node: [18, 20], exclude: [{ os: "mac", node: 18 }, { os: "win" }] })).toBe(3);
  });

  it("adds include entries that cannot extend a combination, and only those", () => {
    const matrix = { os: ["linux"], node: [20], include: [{ os: "linux", experimental: true }, { os: "mac", node: 20 }] };
    expect(matrixSize(matrix)).toBe(2);
    expect(matrixSize({ include: [{ a: 1 }, { a: 2 }] })).toBe(2);
  });

  it("counts one for no matrix and for axes only known at run time", () => {
    expect(matrixSize(undefined)).toBe(1);
    expect(matrixSize("${{ fromJSON(needs.plan.outputs.matrix) }}")).toBe(1);
    expect(matrixSize({ shard: "${{ fromJSON(inputs.shards) }}", os: ["a", "b"] })).toBe(2);
  });
});
