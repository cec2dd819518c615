import { describe, expect, it } from "vitest";
import { matrixKey, planPipeline } from "./plan";
import { parseOk, yaml } from "./test-utils";

const keys = (text: string) => planPipeline(parseOk(text)).jobs.map((j) => j.key);

describe("planPipeline", () => {
  const pipeline = parseOk(yaml`
    on:
      manual:
        inputs:
          target: { type: choice, options: [dev, staging], default: dev }
    jobs:
      lint:
        steps: [{ run: ./lint.sh }]
      test:
        strategy:
          matrix:
            node: [18, 20]
            os: [linux]
        steps: [{ run: ./test.sh }]
      build:
        needs: [test, lint]
        steps: [{ run: ./build.sh }]
      deploy:
        needs: build
        environment: \${{ inputs.target }}
        deploy: { strategy: rolling }
  `);

  it("expands a matrix into jobs with display names and machine keys", () => {
    const plan = planPipeline(pipeline);
    expect(plan.jobs.filter((j) => j.jobId === "test")).toEqual([
      { key: "test[node=18,os=linux]", jobId: "test", name: "test (node: 18, os: linux)", matrix: { node: 18, os: "linux" }, needs: [], stage: 0 },
      { key: "test[node=20,os=linux]", jobId: "test", name: "test (node: 20, os: linux)", matrix: { node: 20, os: "linux" }, needs: [], stage: 0 },
    ]);
  });

  it("makes a job that needs a matrix job wait for all its combinations", () => {
    const build = planPipeline(pipeline).jobs.find((j) => j.key === "build");
    expect(build?.needs).toEqual(["test[node=18,os=linux]", "test[node=20,os=linux]", "lint"]);
  });

  it("orders jobs topologically with stages for layout", () => {
    const plan = planPipeline(pipeline);
    expect(plan.jobs.map((j) => [j.key, j.stage])).toEqual([
      ["lint", 0],
      ["test[node=18,os=linux]", 0],
      ["test[node=20,os=linux]", 0],
      ["build", 1],
      ["deploy", 2],
    ]);
    expect(plan.stages).toEqual([["lint", "test[node=18,os=linux]", "test[node=20,os=linux]"], ["build"], ["deploy"]]);
  });

  it("lists each job's dependents", () => {
    expect(planPipeline(pipeline).dependents).toEqual({
      lint: ["build"],
      "test[node=18,os=linux]": ["build"],
      "test[node=20,os=linux]": ["build"],
      build: ["deploy"],
      deploy: [],
    });
  });

  it("fills inputs from defaults and keeps the ones given", () => {
    expect(planPipeline(pipeline).inputs).toEqual({ target: "dev" });
    expect(planPipeline(pipeline, { inputs: { target: "staging" } }).inputs).toEqual({ target: "staging" });
  });

  it("is plain JSON", () => {
    const plan = planPipeline(pipeline);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it("keeps file order among jobs that become ready together, even when declared after their dependents", () => {
    expect(
      keys(yaml`
        on: push
        jobs:
          package: { needs: [compile], steps: [{ run: x }] }
          docs: { steps: [{ run: x }] }
          compile: { steps: [{ run: x }] }
          publish: { needs: [package, docs], steps: [{ run: x }] }
      `),
    ).toEqual(["docs", "compile", "package", "publish"]);
  });

  it("puts a job at the stage after its longest chain of needs", () => {
    const plan = planPipeline(
      parseOk(yaml`
        on: push
        jobs:
          a: { steps: [{ run: x }] }
          b: { needs: a, steps: [{ run: x }] }
          c: { needs: b, steps: [{ run: x }] }
          d: { needs: [a, c], steps: [{ run: x }] }
      `),
    );
    expect(plan.stages).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });

  it("interpolates matrix and inputs into a job name that has expressions", () => {
    const plan = planPipeline(
      parseOk(yaml`
        on:
          manual:
            inputs:
              suite: { default: unit }
        jobs:
          t:
            name: "\${{ inputs.suite }} on node \${{ matrix.node }}"
            strategy: { matrix: { node: [18] } }
            steps: [{ run: x }]
      `),
    );
    expect(plan.jobs[0].name).toBe("unit on node 18");
  });

  it("shows a name that cannot be evaluated yet as written", () => {
    const plan = planPipeline(
      parseOk(yaml`
        on: push
        jobs:
          t:
            name: "deploy \${{ fromJSON('{') }}"
            steps: [{ run: x }]
      `),
    );
    expect(plan.jobs[0].name).toBe("deploy ${{ fromJSON('{') }}");
  });

  it("expands include-only matrices and include additions into keys", () => {
    expect(
      keys(yaml`
        on: push
        jobs:
          t:
            strategy:
              matrix:
                include:
                  - { target: "a,b", debug: true }
                  - { target: "x=y" }
            steps: [{ run: x }]
      `),
    ).toEqual(["t[target=a%2Cb,debug=true]", "t[target=x%3Dy]"]);
  });
});

describe("matrixKey", () => {
  it("encodes values so keys stay unambiguous", () => {
    expect(matrixKey("t", { a: "[1]", b: { c: 1 }, d: null })).toBe('t[a=%5B1%5D,b={"c":1},d=null]');
  });
});
