import { describe, expect, it } from "vitest";
import { parsePipeline } from "./parse";
import { parseOk, yaml } from "./test-utils";

const SAMPLE = yaml`
  name: demo
  on:
    push:
      branches: [main, 'release/**']
    manual:
      inputs:
        target: { type: choice, options: [dev, staging], default: dev }
    schedule:
      - cron: '0 3 * * 1-5'
        timezone: Europe/Berlin
  env:
    NODE_ENV: test
  jobs:
    lint:
      image: busybox
      steps:
        - uses: checkout
        - run: ./lint.sh
    test:
      image: busybox
      strategy:
        matrix:
          shard: [1, 2]
      steps:
        - uses: checkout
        - run: ./test.sh \${{ matrix.shard }}
    build:
      needs: [test, lint]
      steps:
        - uses: checkout
        - uses: cache
          with: { key: "deps-\${{ hashFiles('package.json') }}", path: node_modules }
        - run: ./build.sh
        - uses: upload-artifact
          with: { name: site, path: dist }
    deploy-dev:
      needs: build
      environment: development
      deploy:
        strategy: rolling
        health-check: { path: /healthz }
`;

describe("parsePipeline accepts valid pipelines", () => {
  it("accepts the sample pipeline without warnings", () => {
    const result = parsePipeline(SAMPLE);
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it("builds the model in camelCase with defaults filled in", () => {
    const pipeline = parseOk(SAMPLE);
    expect(pipeline.name).toBe("demo");
    expect(pipeline.env).toEqual({ NODE_ENV: "test" });
    expect(pipeline.on).toEqual({
      push: { branches: ["main", "release/**"] },
      manual: { inputs: { target: { type: "choice", options: ["dev", "staging"], default: "dev", required: false } } },
      schedule: [{ cron: "0 3 * * 1-5", timezone: "Europe/Berlin" }],
    });
    expect(Object.keys(pipeline.jobs)).toEqual(["lint", "test", "build", "deploy-dev"]);
    expect(pipeline.jobs.build).toMatchObject({ name: "build", needs: ["test", "lint"], retries: 0, continueOnError: false });
    expect(pipeline.jobs.build.steps[1]).toMatchObject({
      kind: "uses",
      uses: "cache",
      with: { key: "deps-${{ hashFiles('package.json') }}", paths: ["node_modules"], restoreKeys: [] },
    });
    expect(pipeline.jobs.build.steps[2]).toMatchObject({ kind: "run", run: "./build.sh", name: "Run ./build.sh" });
    expect(pipeline.jobs["deploy-dev"]).toMatchObject({
      environment: { name: "development" },
      deploy: {
        strategy: "rolling",
        settings: {},
        healthCheck: { path: "/healthz", status: 200, intervalSeconds: 10, failureThreshold: 3 },
      },
    });
    expect(pipeline.jobs.test.strategy).toEqual({ failFast: true, matrix: { axes: { shard: [1, 2] }, include: [], exclude: [] } });
  });

  it("records where jobs, steps and every other node are written", () => {
    const pipeline = parseOk(SAMPLE);
    expect(pipeline.jobs.build.source).toEqual({ line: 27, column: 3 });
    expect(pipeline.jobs.build.steps[0].source).toEqual({ line: 30, column: 9 });
    expect(pipeline.locations["/jobs/build/needs/1"]).toEqual({ line: 28, column: 19 });
    expect(pipeline.locations["/on/schedule/0/timezone"]).toEqual({ line: 10, column: 7 });
  });

  it("is JSON serialisable", () => {
    const pipeline = parseOk(SAMPLE);
    expect(JSON.parse(JSON.stringify(pipeline))).toEqual(pipeline);
  });

  it.each([
    ["a string", "on: push", { push: {} }],
    ["a list", "on: [push, workflow_dispatch]", { push: {}, manual: { inputs: {} } }],
    ["workflow_dispatch as an alias of manual", "on:\n  workflow_dispatch:", { manual: { inputs: {} } }],
    [
      "pull_request filters",
      "on:\n  pull_request:\n    branches: [main]\n    paths-ignore: ['docs/**']",
      { pullRequest: { branches: ["main"], pathsIgnore: ["docs/**"] } },
    ],
  ])("accepts on: as %s", (_, on, expected) => {
    expect(parseOk(`${on}\njobs:\n  a: { steps: [{ run: x }] }\n`).on).toEqual(expected);
  });

  it("reads typed manual inputs", () => {
    const pipeline = parseOk(yaml`
      on:
        manual:
          inputs:
            name: { description: Who, required: true }
            dry-run: { type: boolean, default: false }
            replicas: { type: number, default: 3 }
      jobs:
        a:
          steps:
            - run: echo \${{ inputs.name }}
    `);
    expect(pipeline.on.manual?.inputs).toEqual({
      name: { type: "string", description: "Who", required: true },
      "dry-run": { type: "boolean", required: false, default: false },
      replicas: { type: "number", required: false, default: 3 },
    });
  });

  it("reads every job and step field", () => {
    const pipeline = parseOk(yaml`
      on: push
      concurrency: { group: main, cancel-in-progress: true }
      defaults: { run: { shell: bash } }
      jobs:
        build:
          name: Build it
          if: run.branch == 'main'
          runs-on: [linux, large]
          env: { A: 1, B: true, C: }
          timeout-minutes: 30
          continue-on-error: true
          retries: 2
          concurrency: build
          defaults: { run: { working-directory: app } }
          outputs: { image: "\${{ steps.img.outputs.ref }}" }
          strategy: { fail-fast: false, max-parallel: 2, matrix: { os: [linux] } }
          steps:
            - id: img
              name: Image
              run: |
                make image
                echo done
              shell: sh
              working-directory: sub
              env: { X: y }
              if: \${{ always() }}
              continue-on-error: true
              timeout-minutes: 5
            - uses: checkout
              with: { fetch-depth: 0, path: src }
            - uses: download-artifact
              with: { name: site }
            - uses: upload-artifact
              with: { name: logs, path: [a.log, b.log], retention-days: 7 }
    `);
    expect(pipeline.concurrency).toEqual({ group: "main", cancelInProgress: true });
    expect(pipeline.defaults).toEqual({ run: { shell: "bash" } });
    const job = pipeline.jobs.build;
    expect(job).toMatchObject({
      name: "Build it",
      if: "run.branch == 'main'",
      runsOn: ["linux", "large"],
      env: { A: "1", B: "true", C: "" },
      timeoutMinutes: 30,
      continueOnError: true,
      retries: 2,
      concurrency: { group: "build", cancelInProgress: false },
      defaults: { run: { workingDirectory: "app" } },
      outputs: { image: "${{ steps.img.outputs.ref }}" },
      strategy: { failFast: false, maxParallel: 2 },
    });
    expect(job.steps[0]).toMatchObject({
      id: "img",
      name: "Image",
      run: "make image\necho done\n",
      shell: "sh",
      workingDirectory: "sub",
      env: { X: "y" },
      if: "${{ always() }}",
      continueOnError: true,
      timeoutMinutes: 5,
    });
    expect(job.steps.slice(1).map((s) => s.kind === "uses" && s.with)).toEqual([
      { fetchDepth: 0, path: "src" },
      { name: "site" },
      { name: "logs", paths: ["a.log", "b.log"], retentionDays: 7 },
    ]);
  });

  it("reads canary settings in Argo Rollouts' shape and an environment with a url", () => {
    const pipeline = parseOk(yaml`
      on: push
      jobs:
        ship:
          environment: { name: production, url: "https://\${{ vars.HOST }}" }
          deploy:
            image: registry.local/app:1
            strategy:
              canary:
                steps:
                  - set-weight: 20
                  - pause: { duration: 5m }
                  - set-weight: 100
    `);
    expect(pipeline.jobs.ship.environment).toEqual({ name: "production", url: "https://${{ vars.HOST }}" });
    expect(pipeline.jobs.ship.deploy).toEqual({
      strategy: "canary",
      image: "registry.local/app:1",
      settings: { steps: [{ "set-weight": 20 }, { pause: { duration: "5m" } }, { "set-weight": 100 }] },
    });
  });

  it("supports anchors and merge keys", () => {
    const pipeline = parseOk(yaml`
      on: push
      jobs:
        a: &base
          image: node:20
          timeout-minutes: 10
          steps: [{ run: ./a.sh }]
        b:
          <<: *base
          timeout-minutes: 20
    `);
    expect(pipeline.jobs.b).toMatchObject({ image: "node:20", timeoutMinutes: 20, steps: [{ run: "./a.sh" }] });
  });
});
