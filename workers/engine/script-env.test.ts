import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envWithValues, scriptWithEnv } from "./script-env";

describe("scriptWithEnv", () => {
  it("replaces expressions with variable references and puts the values in the environment", () => {
    const { script, env } = scriptWithEnv("echo ${{ run.branch }} on ${{ matrix.node }}", { run: { branch: "main" }, matrix: { node: 18 } });
    expect(script).toBe("echo ${SLIPWAY_EXPR_1} on ${SLIPWAY_EXPR_2}");
    expect(env).toEqual({ SLIPWAY_EXPR_1: "main", SLIPWAY_EXPR_2: "18" });
  });

  it("runs nothing when a branch name tries to break out of the command", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-inject-"));
    const marker = path.join(dir, "pwned");
    const branch = `x";touch ${marker};#`;
    const { script, env } = scriptWithEnv('echo "building ${{ run.branch }}"', { run: { branch } });
    const output = execFileSync("sh", ["-e", "-c", script], { env: { ...process.env, ...env }, encoding: "utf8" });
    expect(output.trim()).toBe(`building ${branch}`);
    expect(existsSync(marker)).toBe(false);
  });

  it("leaves a script without expressions as it is", () => {
    expect(scriptWithEnv("make test", {})).toEqual({ script: "make test", env: {} });
  });
});

describe("envWithValues", () => {
  it("interpolates expressions inside env values", () => {
    expect(envWithValues({ TARGET: "deploy-${{ inputs.target }}", PLAIN: "x" }, { inputs: { target: "dev" } })).toEqual({ TARGET: "deploy-dev", PLAIN: "x" });
  });
});
