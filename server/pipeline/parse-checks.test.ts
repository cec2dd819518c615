import { describe, expect, it } from "vitest";
import { parsePipeline } from "./parse";
import { errorsOf, warningsOf, yaml } from "./test-utils";

describe("parsePipeline checks each section", () => {
  it.each([
    ["a missing on", "jobs:\n  a: { steps: [{ run: x }] }\n", "1:1 The pipeline has no on: add a trigger, e.g. `on: push` or `on: manual`."],
    ["missing jobs", "on: push\n", "1:1 The pipeline has no jobs: add `jobs:` with at least one job."],
    [
      "a job id that starts with a digit",
      "on: push\njobs:\n  1a: { steps: [{ run: x }] }\n",
      '3:3 Job id "1a" must start with a letter or _ and contain only letters, digits, - and _.',
    ],
    [
      "services",
      "on: push\njobs:\n  a:\n    services: { db: { image: postgres } }\n    steps: [{ run: x }]\n",
      '4:5 services are not supported; start the service from a step in job "a" instead.',
    ],
    [
      "a bad environment variable name",
      "on: push\nenv: { 9X: y }\njobs:\n  a: { steps: [{ run: x }] }\n",
      '2:8 Environment variable name "9X" must start with a letter or _ and contain only letters, digits and _.',
    ],
    [
      "a matrix key that is not a list",
      "on: push\njobs:\n  a:\n    strategy: { matrix: { node: 18 } }\n    steps: [{ run: x }]\n",
      "4:33 matrix.node must be a non-empty list of values, e.g. [18, 20], got 18.",
    ],
    [
      "an exclude of an unknown matrix key",
      "on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        node: [18]\n        exclude: [{ nod: 18 }]\n    steps: [{ run: x }]\n",
      '7:21 matrix exclude refers to "nod", which is not a matrix key of job "a".',
    ],
    [
      "a matrix that excludes everything",
      "on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        node: [18]\n        exclude: [{ node: 18 }]\n    steps: [{ run: x }]\n",
      '5:7 The matrix of job "a" excludes every combination, so the job would never run.',
    ],
    [
      "manual together with workflow_dispatch",
      "on: [push, manual, workflow_dispatch]\njobs:\n  a: { steps: [{ run: x }] }\n",
      "1:20 manual and workflow_dispatch are the same trigger; keep only one of them.",
    ],
    [
      "a schedule that is not a list",
      "on:\n  schedule: { cron: '0 0 * * *' }\njobs:\n  a: { steps: [{ run: x }] }\n",
      "2:13 schedule must be a list of entries such as `- cron: '0 3 * * *'`, got a mapping.",
    ],
    [
      "a step id used twice",
      "on: push\njobs:\n  a:\n    steps:\n      - { id: s, run: x }\n      - { id: s, run: y }\n",
      '6:9 Step id "s" is used twice in job "a"; step ids must be unique.',
    ],
    [
      "with on a run step",
      "on: push\njobs:\n  a:\n    steps:\n      - run: x\n        with: { a: 1 }\n",
      '6:9 with only applies to uses steps; step 1 of job "a" runs a command.',
    ],
    [
      "a cache without a key",
      "on: push\njobs:\n  a:\n    steps:\n      - uses: cache\n        with: { path: x }\n",
      "6:9 cache needs with.key, e.g. `with: { key: deps-${{ hashFiles('package-lock.json') }} }`.",
    ],
    [
      "a step with neither run nor uses",
      "on: push\njobs:\n  a:\n    steps:\n      - name: nothing\n",
      '5:9 step 1 of job "a" needs either run (a command) or uses (one of checkout, cache, upload-artifact, download-artifact).',
    ],
    [
      "a step written as a bare command",
      "on: push\njobs:\n  a:\n    steps:\n      - ./build.sh\n",
      'Step 1 of job "a" must be a mapping such as `- run: ./build.sh`, got "./build.sh".',
    ],
    ["a job that needs itself", "on: push\njobs:\n  a:\n    needs: [a]\n    steps: [{ run: x }]\n", '4:13 Job "a" cannot need itself.'],
    [
      "canary weights past 100",
      "on: push\njobs:\n  a:\n    environment: prod\n    deploy:\n      strategy: { canary: { steps: [{ set-weight: 120 }] } }\n",
      "6:51 set-weight must be a whole number of percent between 0 and 100, got 120.",
    ],
    [
      "a health-check path without a leading slash",
      "on: push\njobs:\n  a:\n    environment: prod\n    deploy:\n      strategy: rolling\n      health-check: { path: healthz }\n",
      '7:29 health-check path must start with "/", got "healthz".',
    ],
    [
      "a job with both steps and deploy",
      "on: push\njobs:\n  a:\n    environment: prod\n    steps: [{ run: x }]\n    deploy: { strategy: rolling }\n",
      '6:5 Job "a" has both steps and deploy; move the steps into a job that this one needs.',
    ],
    [
      "an invalid expression inside a block scalar, at its own line",
      "on: push\njobs:\n  a:\n    steps:\n      - run: |\n          echo one\n          echo ${{ run.branch ==== 1 }}\n",
      '7:16 Invalid expression "${{ run.branch ==== 1 }}": expected a value, found "==".',
    ],
    [
      "! in an ignore list",
      "on:\n  push:\n    branches-ignore: ['!main']\njobs:\n  a: { steps: [{ run: x }] }\n",
      '3:23 branches-ignore cannot use "!" patterns; list the exceptions in branches with "!" instead.',
    ],
  ])("refuses %s", (_, text, error) => {
    expect(errorsOf(text).some((e) => e === error || e.endsWith(` ${error}`))).toBe(true);
  });
});

describe("parsePipeline warnings", () => {
  it("warns about an input that on.manual does not declare", () => {
    expect(
      warningsOf(yaml`
        on: manual
        jobs:
          build:
            steps:
              - run: echo \${{ inputs.target }}
      `),
    ).toEqual(['5:19 "${{ inputs.target }}" reads inputs.target, which on.manual.inputs does not declare.']);
  });

  it("warns about a branch filter with only ! patterns", () => {
    expect(
      warningsOf(yaml`
        on:
          push:
            branches: ['!main']
        jobs:
          build: { steps: [{ run: ./b.sh }] }
      `),
    ).toEqual(['3:15 branches has only "!" patterns, so nothing matches; start with a pattern that includes, such as "**".']);
  });

  it("warns about duplicate needs, an if that mixes text and ${{ }}, and unknown matrix keys", () => {
    expect(
      warningsOf(yaml`
        on: push
        jobs:
          a: { steps: [{ run: x }] }
          b:
            needs: [a, a]
            if: run.branch == 'main' && \${{ true }}
            strategy: { matrix: { node: [1] } }
            steps:
              - run: echo \${{ matrix.nod }}
      `),
    ).toEqual([
      '5:16 Job "b" lists "a" in needs twice.',
      "6:9 This if mixes text and ${{ }}, so it is a string and always true; write the whole condition as one expression.",
      '9:19 "${{ matrix.nod }}" reads matrix.nod, which the matrix of job "b" does not define.',
    ]);
  });

  it("warns about unknown deploy keys instead of refusing them", () => {
    const result = parsePipeline(yaml`
      on: push
      jobs:
        ship:
          environment: production
          deploy:
            strategy: rolling
            helth-check: { path: /healthz }
    `);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.message)).toEqual([
      'Unknown key "helth-check" in deploy. Did you mean "health-check"?',
    ]);
  });
});
