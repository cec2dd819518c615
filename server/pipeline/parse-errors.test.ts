import { describe, expect, it } from "vitest";
import { parsePipeline } from "./parse";
import { errorsOf, yaml } from "./test-utils";

describe("parsePipeline errors point at line:column with an actionable sentence", () => {
  const cases: { name: string; text: string; error: string }[] = [
    {
      name: "suggests the nearest key for an unknown job key",
      text: yaml`
        on: push
        jobs:
          test:
            steps: [{ run: ./t.sh }]
          build:
            need: test
            steps: [{ run: ./b.sh }]
      `,
      error: '6:5 Unknown key "need" in job "build". Did you mean "needs"?',
    },
    {
      name: "maps another CI system's key to ours",
      text: yaml`
        on: push
        jobs:
          build:
            script: make
            steps: [{ run: make }]
      `,
      error: '4:5 Unknown key "script" in job "build". Did you mean "steps"?',
    },
    {
      name: "suggests the nearest job id for an unknown needs target",
      text: yaml`
        on: push
        jobs:
          test:
            steps: [{ run: ./t.sh }]
          build:
            needs: [tset]
            steps: [{ run: ./b.sh }]
      `,
      error: '6:13 Job "build" needs "tset", which is not a job in this pipeline. Did you mean "test"?',
    },
    {
      name: "reports a duplicate job id at the second definition",
      text: yaml`
        on: push
        jobs:
          build:
            steps: [{ run: a }]
          build:
            steps: [{ run: b }]
      `,
      error: '5:3 Duplicate job id "build" (first defined at line 3); job ids must be unique.',
    },
    {
      name: "prints the cycle as a -> b -> a",
      text: yaml`
        on: push
        jobs:
          a:
            needs: b
            steps: [{ run: a }]
          b:
            needs: a
            steps: [{ run: b }]
      `,
      error: "7:12 Jobs need each other in a cycle: a -> b -> a. Remove one of these needs.",
    },
    {
      name: "prints a longer cycle in the order the needs go",
      text: yaml`
        on: push
        jobs:
          a: { needs: c, steps: [{ run: a }] }
          b: { needs: a, steps: [{ run: b }] }
          c: { needs: b, steps: [{ run: c }] }
      `,
      error: "4:15 Jobs need each other in a cycle: a -> c -> b -> a. Remove one of these needs.",
    },
    {
      name: "says which cron field is wrong",
      text: yaml`
        on:
          schedule:
            - cron: '61 3 * * *'
        jobs:
          nightly: { steps: [{ run: ./n.sh }] }
      `,
      error: '3:13 Invalid cron "61 3 * * *": the minute field allows 0-59, got 61.',
    },
    {
      name: "says how many fields a cron needs",
      text: yaml`
        on:
          schedule:
            - cron: '0 3 * *'
        jobs:
          nightly: { steps: [{ run: ./n.sh }] }
      `,
      error:
        '3:13 Invalid cron "0 3 * *": a cron has 5 fields (minute hour day-of-month month day-of-week), this one has 4.',
    },
    {
      name: "refuses an unknown time zone",
      text: yaml`
        on:
          schedule:
            - cron: '0 3 * * *'
              timezone: Mars/Olympus
        jobs:
          nightly: { steps: [{ run: ./n.sh }] }
      `,
      error: '4:17 Unknown time zone "Mars/Olympus"; use an IANA name such as "Europe/Berlin" or "UTC".',
    },
    {
      name: "says how many combinations a matrix past the limit would make",
      text: yaml`
        on: push
        jobs:
          test:
            strategy:
              matrix:
                a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
                b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
                c: [1, 2, 3]
            steps: [{ run: ./t.sh }]
      `,
      error: '5:7 The matrix of job "test" would expand to 300 combinations; the limit is 256.',
    },
    {
      name: "points at an expression that does not parse",
      text: yaml`
        on: push
        jobs:
          build:
            steps:
              - run: echo \${{ run.branch == }}
      `,
      error: '5:19 Invalid expression "${{ run.branch == }}": expected a value at the end of the expression.',
    },
    {
      name: "points at an expression that is never closed",
      text: yaml`
        on: push
        jobs:
          build:
            steps:
              - run: echo ok && echo \${{ run.branch
      `,
      error: '5:30 Invalid expression: "${{" is never closed with "}}".',
    },
    {
      name: "refuses a bare if: that does not parse",
      text: yaml`
        on: push
        jobs:
          build:
            if: run.branch = 'main'
            steps: [{ run: ./b.sh }]
      `,
      error: `4:9 Invalid expression "run.branch = 'main'": unexpected character "=".`,
    },
    {
      name: "names an unknown context and suggests ours",
      text: yaml`
        on: push
        jobs:
          build:
            if: \${{ github.ref == 'refs/heads/main' }}
            steps: [{ run: ./b.sh }]
      `,
      error:
        '4:9 Unknown context "github" in "${{ github.ref == \'refs/heads/main\' }}"; available: run, inputs, env, secrets, vars, needs, matrix, steps, job, strategy. Did you mean "run"?',
    },
    {
      name: "refuses needs.<job> for a job that is not needed",
      text: yaml`
        on: push
        jobs:
          build: { steps: [{ run: ./b.sh }] }
          deploy:
            steps:
              - run: echo \${{ needs.build.outputs.image }}
      `,
      error:
        '6:19 "${{ needs.build.outputs.image }}" reads needs.build, but job "deploy" does not need "build"; add it to needs.',
    },
    {
      name: "gives the range and unit of a wrongly typed timeout",
      text: yaml`
        on: push
        jobs:
          build:
            timeout-minutes: abc
            steps: [{ run: ./b.sh }]
      `,
      error: '4:22 timeout-minutes must be a number of minutes between 0.01 and 4320, got "abc".',
    },
    {
      name: "refuses retries past 5",
      text: yaml`
        on: push
        jobs:
          build:
            retries: 9
            steps: [{ run: ./b.sh }]
      `,
      error: "4:14 retries must be a whole number between 0 and 5, got 9.",
    },
    {
      name: "refuses a job with neither steps nor deploy",
      text: yaml`
        on: push
        jobs:
          build:
            image: node:20
      `,
      error: '3:3 Job "build" has neither steps nor deploy; give it steps to run or a deploy section.',
    },
    {
      name: "refuses a step with both run and uses",
      text: yaml`
        on: push
        jobs:
          build:
            steps:
              - run: make
                uses: checkout
      `,
      error: '6:9 step 1 of job "build" has both run and uses; a step does one of them, so split it into two steps.',
    },
    {
      name: "lists the built-ins for an unknown uses",
      text: yaml`
        on: push
        jobs:
          build:
            steps:
              - uses: actions/checkout@v4
      `,
      error:
        '5:15 Unknown built-in "actions/checkout@v4" in uses of step 1 of job "build". The built-ins are checkout, cache, upload-artifact, download-artifact. Did you mean "checkout"?',
    },
    {
      name: "refuses an unknown deploy strategy",
      text: yaml`
        on: push
        jobs:
          ship:
            environment: production
            deploy:
              strategy: bluegreen
      `,
      error: '6:17 Unknown deploy strategy "bluegreen"; use one of rolling, blue-green, canary. Did you mean "blue-green"?',
    },
    {
      name: "requires an environment for a deploy job",
      text: yaml`
        on: push
        jobs:
          ship:
            deploy: { strategy: rolling }
      `,
      error: '4:5 Job "ship" deploys, so it needs an environment, e.g. `environment: production`.',
    },
    {
      name: "refuses a choice default outside its options",
      text: yaml`
        on:
          manual:
            inputs:
              target: { type: choice, options: [dev, staging], default: prod }
        jobs:
          build: { steps: [{ run: ./b.sh }] }
      `,
      error: '4:65 default "prod" is not one of the options: dev, staging.',
    },
    {
      name: "suggests the input type",
      text: yaml`
        on:
          manual:
            inputs:
              count: { type: int }
        jobs:
          build: { steps: [{ run: ./b.sh }] }
      `,
      error: '4:22 type of input "count" must be one of string, boolean, choice, number, got "int". Did you mean "number"?',
    },
    {
      name: "refuses branches together with branches-ignore",
      text: yaml`
        on:
          push:
            branches: [main]
            branches-ignore: [wip/**]
        jobs:
          build: { steps: [{ run: ./b.sh }] }
      `,
      error:
        '4:5 Use either branches or branches-ignore in on.push, not both; exclude with "!pattern" entries in branches.',
    },
    {
      name: "suggests the nearest trigger",
      text: yaml`
        on:
          pull-request: {}
        jobs:
          build: { steps: [{ run: ./b.sh }] }
      `,
      error: '2:3 Unknown trigger "pull-request" in on. Did you mean "pull_request"?',
    },
    {
      name: "reports YAML syntax errors where they are",
      text: yaml`
        on: push
        jobs:
          build: { steps: [{ run: make }]
          test: {}
      `,
      error: "4:3 Flow map in block collection must be sufficiently indented and end with a }",
    },
  ];

  it.each(cases)("$name", ({ text, error }) => {
    expect(errorsOf(text)).toContain(error);
  });

  it("reports every problem at once, in file order", () => {
    const errors = errorsOf(yaml`
      on: push
      jobs:
        build:
          timeout-minutes: 0
          steps:
            - uses: nope
    `);
    expect(errors.map((e) => e.split(" ")[0])).toEqual(["4:22", "6:15"]);
  });

  it("gives the path of the offending node", () => {
    const result = parsePipeline(yaml`
      on: push
      jobs:
        build:
          steps:
            - run: make
              timeout-minutes: -1
    `);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0].path).toEqual(["jobs", "build", "steps", 0, "timeout-minutes"]);
  });
});
