import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { addJob, connect, deleteJob, disconnect, openPipeline, readGraph, renameJob, setJobField, setJobSteps, type EditResult } from "./index";

function text(result: EditResult): string {
  if (!result.ok) throw new Error(result.error.message);
  return result.text;
}

function refusal(result: EditResult): string {
  if (result.ok) throw new Error("expected a refusal");
  return result.error.message;
}

const base = `jobs:
  a:
    name: A
    steps: [{ run: make a }]
  b:
    steps: [{ run: make b }]
  c:
    needs: a
    steps: [{ run: make c }]
`;

describe("connect", () => {
  it("adds a flow list after name when the job had no needs", () => {
    expect(text(connect(base, "b", "a"))).toContain("  a:\n    name: A\n    needs: [b]\n    steps:");
  });

  it("turns one need into a flow list", () => {
    expect(text(connect(base, "b", "c"))).toContain("    needs: [a, b]\n");
  });

  it("keeps each list style as written", () => {
    const flow = "jobs:\n  a: {}\n  b: {}\n  x:\n    needs: [a]\n";
    expect(text(connect(flow, "b", "x"))).toContain("needs: [a, b]\n");
    expect(text(connect(flow.replace("[a]", "[ a ]"), "b", "x"))).toContain("needs: [ a, b ]\n");
    expect(text(connect(flow.replace("[a]", '["a"]'), "b", "x"))).toContain('needs: ["a", "b"]\n');
    const tight = "jobs:\n  a: {}\n  b: {}\n  c: {}\n  x:\n    needs: [a,b]\n";
    expect(text(connect(tight, "c", "x"))).toContain("needs: [a,b,c]\n");
    const block = "jobs:\n  a: {}\n  b: {}\n  x:\n    needs:\n        - a   # first\n    steps: []\n";
    expect(text(connect(block, "b", "x"))).toBe(block.replace("# first\n", "# first\n        - b\n"));
  });

  it("refuses self edges, duplicates, unknown jobs and cycles, naming the cycle", () => {
    expect(refusal(connect(base, "a", "a"))).toMatch(/itself/);
    expect(refusal(connect(base, "a", "c"))).toMatch(/already needs/);
    expect(refusal(connect(base, "ghost", "c"))).toMatch(/no job "ghost"/);
    expect(refusal(connect(base, "c", "a"))).toContain("c -> a -> c");
    expect(refusal(connect(text(connect(base, "c", "b")), "b", "a"))).toContain("b -> a -> c -> b");
  });
});

describe("disconnect", () => {
  const listed = "jobs:\n  a: {}\n  b: {}\n  x:\n    needs: [a, b]\n    steps: []\n";

  it("removes one id and keeps a one-id list a list", () => {
    expect(text(disconnect(listed, "a", "x"))).toContain("needs: [b]\n");
    expect(text(disconnect(listed, "b", "x"))).toContain("needs: [a]\n");
  });

  it("removes the key when no need is left", () => {
    expect(text(disconnect(base, "a", "c"))).toBe(base.replace("    needs: a\n", ""));
    expect(text(disconnect(text(disconnect(listed, "a", "x")), "b", "x"))).toBe("jobs:\n  a: {}\n  b: {}\n  x:\n    steps: []\n");
  });

  it("removes a block item as one line and keeps comments around it", () => {
    const block = "jobs:\n  a: {}\n  b: {}\n  x:\n    needs:\n      # why\n      - a\n      - b  # later\n";
    expect(text(disconnect(block, "a", "x"))).toBe("jobs:\n  a: {}\n  b: {}\n  x:\n    needs:\n      # why\n      - b  # later\n");
    expect(text(disconnect(block, "b", "x"))).toBe("jobs:\n  a: {}\n  b: {}\n  x:\n    needs:\n      # why\n      - a\n      # later\n");
  });

  it("refuses an edge that is not there", () => {
    expect(refusal(disconnect(base, "b", "c"))).toMatch(/does not need/);
  });
});

describe("PipelineSession", () => {
  it("restores `needs: a` and `needs: []` as the person wrote them", () => {
    const session = openPipeline(base);
    text(session.connect("b", "c"));
    expect(session.text).toContain("needs: [a, b]");
    text(session.disconnect("b", "c"));
    expect(session.text).toBe(base);
    const empty = "jobs:\n  a: {}\n  x:\n    needs: []\n";
    const other = openPipeline(empty);
    text(other.connect("a", "x"));
    text(other.disconnect("a", "x"));
    expect(other.text).toBe(empty);
  });

  it("follows renames and takes typed YAML as the new original", () => {
    const session = openPipeline(base);
    text(session.renameJob("c", "see"));
    text(session.connect("b", "see"));
    text(session.disconnect("b", "see"));
    expect(session.text).toContain("    needs: a\n");
    session.setText(base.replace("needs: a", "needs: [a]"));
    text(session.connect("b", "c"));
    text(session.disconnect("b", "c"));
    expect(session.text).toContain("needs: [a]\n");
    expect(session.read()).toMatchObject({ ok: true });
  });
});

describe("renameJob", () => {
  const source = `jobs:
  # builds it
  "build":   # quoted on purpose
    steps:
      - run: echo needs.build is not an expression
  test:
    needs: ["build"]
    if: \${{ needs.build.result == 'success' && needs.builder.result }}
    steps:
      - run: echo \${{ needs.build.outputs.version }}
  ship:
    needs:
      - build
      - test
`;

  it("renames in place, with every need and ${{ needs.* }} reference", () => {
    expect(text(renameJob(source, "build", "compile"))).toBe(`jobs:
  # builds it
  "compile":   # quoted on purpose
    steps:
      - run: echo needs.build is not an expression
  test:
    needs: ["compile"]
    if: \${{ needs.compile.result == 'success' && needs.builder.result }}
    steps:
      - run: echo \${{ needs.compile.outputs.version }}
  ship:
    needs:
      - compile
      - test
`);
  });

  it("validates the new id", () => {
    expect(refusal(renameJob(source, "build", "9lives"))).toMatch(/not a valid job id/);
    expect(refusal(renameJob(source, "build", "has space"))).toMatch(/not a valid job id/);
    expect(refusal(renameJob(source, "build", "test"))).toMatch(/already exists/);
    expect(refusal(renameJob(source, "nope", "x"))).toMatch(/no job/);
  });

  it("refuses rather than change a list shared from outside the jobs", () => {
    const shared = "x: &n [build]\njobs:\n  build: {}\n  test:\n    needs: *n\n";
    expect(refusal(renameJob(shared, "build", "compile"))).toMatch(/YAML view/);
  });
});

describe("deleteJob", () => {
  it("removes the job, its comment and the edges to it, and names its dependents", () => {
    const source = "jobs:\n  # the first\n  a:\n    steps: []\n\n  # the second\n  b:\n    needs: [a]  # after a\n\n  c:\n    needs: a\n";
    const result = deleteJob(source, "a");
    expect(result).toMatchObject({ ok: true, dependents: ["b", "c"] });
    expect(text(result)).toBe("jobs:\n  # the second\n  b:\n    # after a\n\n  c:\n");
  });

  it("hands an anchor defined in the deleted job to the first alias", () => {
    const source = "jobs:\n  a:\n    image: &img node:20\n  b:\n    image: *img\n  c:\n    image: *img\n";
    expect(text(deleteJob(source, "a"))).toBe("jobs:\n  b:\n    image: &img node:20\n  c:\n    image: *img\n");
  });

  it("leaves an empty jobs mapping when the last job goes", () => {
    expect(text(deleteJob("jobs:\n  only:\n    steps: []\n", "only"))).toBe("jobs: {}\n");
  });
});

describe("addJob", () => {
  it("appends a job with a fresh id, in the file's own indentation and line endings", () => {
    const crlf = "jobs:\r\n    build:\r\n        steps: []\r\n";
    const result = addJob(crlf, { id: "build", kind: "job", template: { "runs-on": "linux", steps: [{ run: "make" }] } });
    expect(result).toMatchObject({ ok: true, id: "build-2" });
    expect(text(result)).toBe(crlf + "    build-2:\r\n        runs-on: linux\r\n        steps:\r\n            - run: make\r\n");
  });

  it("creates jobs where there are none", () => {
    expect(text(addJob("", { id: "first", kind: "deploy" }))).toBe("jobs:\n  first:\n    environment: production\n    deploy:\n      strategy: rolling\n");
    expect(text(addJob("on: push", { id: "x", kind: "job", template: { steps: [] } }))).toBe("on: push\njobs:\n  x:\n    steps: []");
  });

  it("refuses invalid ids and templates that carry edges", () => {
    expect(refusal(addJob(base, { id: "no good", kind: "job" }))).toMatch(/not a valid job id/);
    expect(refusal(addJob(base, { id: "d", kind: "job", template: { needs: ["a"] } }))).toMatch(/connect/);
  });
});

describe("setJobField and setJobSteps", () => {
  it("places new keys where workflows usually have them", () => {
    const result = text(setJobField(base, "b", "timeout-minutes", 10));
    expect(result).toContain("  b:\n    timeout-minutes: 10\n    steps:");
    expect(text(setJobField(base, "c", "name", "C"))).toContain("  c:\n    name: C\n    needs: a\n");
  });

  it("removes a key with undefined, and strategy with its last setting", () => {
    expect(text(setJobField(base, "a", "name", undefined))).toBe(base.replace("    name: A\n", ""));
    const matrix = text(setJobField(base, "b", "strategy.matrix", { os: ["linux", "mac"] }));
    expect(matrix).toContain("  b:\n    strategy:\n      matrix:\n        os: [linux, mac]\n    steps:");
    expect(readGraph(matrix)).toMatchObject({ ok: true, graph: { jobs: [{}, { matrixSize: 2 }, {}] } });
    expect(text(setJobField(matrix, "b", "strategy.matrix", undefined))).toBe(base);
    const kept = "jobs:\n  a:\n    strategy:\n      fail-fast: false\n      matrix: { x: [1] }\n";
    expect(text(setJobField(kept, "a", "strategy.matrix", undefined))).toBe("jobs:\n  a:\n    strategy:\n      fail-fast: false\n");
  });

  it("returns the very same text when nothing changes", () => {
    expect(text(setJobField(base, "a", "name", "A"))).toBe(base);
    expect(text(setJobField(base, "b", "image", undefined))).toBe(base);
  });

  it("validates panel values with a sentence naming the field", () => {
    expect(refusal(setJobField(base, "a", "timeout-minutes", -5))).toMatch(/^timeout-minutes/);
    expect(refusal(setJobField(base, "a", "env", { "BAD-NAME": "x" }))).toMatch(/^env/);
    expect(refusal(setJobSteps(base, "a", [{ run: "x", uses: "checkout" }]))).toMatch(/^steps\.0/);
    expect(refusal(setJobField(base, "ghost", "name", "x"))).toMatch(/no job/);
  });

  it("changes one line of a script as one line of YAML", () => {
    const source = "jobs:\n  a:\n    steps:\n      - name: Build   # main build\n        run: |\n            npm ci\n            npm run build\n";
    const next = [{ name: "Build", run: "npm ci\nnpm run build -- --prod\n" }];
    expect(text(setJobSteps(source, "a", next))).toBe(source.replace("npm run build\n", "npm run build -- --prod\n"));
  });

  it("refuses to remove a value that a merge key provides", () => {
    const merged = "x: &d\n  image: node:20\njobs:\n  a:\n    <<: *d\n    steps: []\n";
    expect(refusal(setJobField(merged, "a", "image", undefined))).toMatch(/merge key/);
    expect(text(setJobField(merged, "a", "image", "node:22"))).toContain("    <<: *d\n    image: node:22\n");
  });
});

describe("multi-line values in flow collections", () => {
  it("turns inline steps into a block list when a script gets a second line, leaving the rest as written", () => {
    const source = "jobs:\n  a:\n    name: A\n    steps: [{ run: make a }]   # one step\n  b:\n    needs: [a]\n";
    expect(text(setJobSteps(source, "a", [{ run: "make a\nmake check" }]))).toBe(
      "jobs:\n  a:\n    name: A\n    steps:   # one step\n      - run: |-\n          make a\n          make check\n  b:\n    needs: [a]\n",
    );
  });

  it("keeps single-line edits inline", () => {
    expect(text(setJobSteps(base, "a", [{ run: "make all" }]))).toBe(base.replace("make a", "make all"));
    const env = "jobs:\n  a:\n    env: { A: 1 }\n";
    expect(text(setJobField(env, "a", "env", { A: 1, B: "two" }))).toBe("jobs:\n  a:\n    env: { A: 1, B: two }\n");
  });

  it("keeps the text of steps and keys that do not change, quotes included", () => {
    const source = "jobs:\n  a:\n    steps: [{ uses: checkout }, { name: 'Build', run: \"make\" }]\n";
    expect(text(setJobSteps(source, "a", [{ uses: "checkout" }, { name: "Build", run: "make\nmake test\n" }]))).toBe(
      "jobs:\n  a:\n    steps:\n      - { uses: checkout }\n      - name: 'Build'\n        run: |\n          make\n          make test\n",
    );
  });

  it("converts a job written as a flow mapping, keeping its other settings' text", () => {
    const source = "jobs:\n  a: {}\n  b: { needs: [a], image: \"node:22\", steps: [ { run: x } ] }   # inline job\n  c: { needs: b }\n";
    expect(text(setJobSteps(source, "b", [{ run: "x\ny" }]))).toBe(
      'jobs:\n  a: {}\n  b:   # inline job\n    needs: [a]\n    image: "node:22"\n    steps:\n      - run: |-\n          x\n          y\n  c: { needs: b }\n',
    );
  });

  it("adds a step with a script to an empty inline list, and a multi-line env value to an inline mapping", () => {
    const source = "jobs:\n    a:\n        env: { A: '1' }\n        steps: []\n";
    const stepped = text(setJobSteps(source, "a", [{ name: "Two lines", run: "echo 1\necho 2\n" }]));
    expect(stepped).toBe("jobs:\n    a:\n        env: { A: '1' }\n        steps:\n            - name: Two lines\n              run: |\n                  echo 1\n                  echo 2\n");
    expect(text(setJobField(stepped, "a", "env", { A: "1", NOTE: "first\nsecond" }))).toBe(
      stepped.replace("env: { A: '1' }\n", "env:\n            A: '1'\n            NOTE: |-\n                first\n                second\n"),
    );
  });

  it("keeps comments written inside the brackets, at the top of the new block", () => {
    const source = "jobs:\n  a:\n    steps: [\n      # checks out first\n      { uses: checkout },\n      { run: make },  # the build\n    ]\n  b: {}\n";
    expect(text(setJobSteps(source, "a", [{ uses: "checkout" }, { run: "make\nmake install" }]))).toBe(
      "jobs:\n  a:\n    steps:\n      # checks out first\n      # the build\n      - { uses: checkout }\n      - run: |-\n          make\n          make install\n  b: {}\n",
    );
  });

  it("converts only the mapping that holds the jobs when the whole `jobs` is inline", () => {
    const source = "on: push\njobs: { a: { steps: [] }, b: {needs: a} }\n";
    expect(text(setJobSteps(source, "a", [{ run: "one\ntwo\n" }]))).toBe(
      "on: push\njobs:\n  a:\n    steps:\n      - run: |\n          one\n          two\n  b: {needs: a}\n",
    );
  });

  it("writes the string double-quoted on one line when the whole document is inline", () => {
    expect(text(setJobSteps("{jobs: {a: {steps: [{run: x}]}}}\n", "a", [{ run: "x\ny" }]))).toBe('{jobs: {a: {steps: [{run: "x\\ny"}]}}}\n');
  });

  it("gives a job sharing the old inline steps through an alias its own copy", () => {
    const source = "jobs:\n  a:\n    steps: &s [{run: x}]\n  b:\n    steps: *s\n";
    const result = text(setJobSteps(source, "a", [{ run: "x\ny" }]));
    expect(parse(result)).toEqual({ jobs: { a: { steps: [{ run: "x\ny" }] }, b: { steps: [{ run: "x" }] } } });
    expect(result).toContain("  a:\n    steps: &s\n      - run: |-\n          x\n          y\n");
  });

  it("after the conversion, editing one line of the script changes one line, and the same steps change nothing", () => {
    const once = text(setJobSteps(base, "b", [{ run: "make b\nmake c" }]));
    expect(text(setJobSteps(once, "b", [{ run: "make b\nmake c" }]))).toBe(once);
    const twice = text(setJobSteps(once, "b", [{ run: "make b\nmake d" }]));
    expect(twice).toBe(once.replace("make c", "make d"));
  });
});
