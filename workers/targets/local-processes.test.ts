import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive } from "@/server/config/pid";
import { localTargetsDir, stopRecordedInstances } from "./local-processes";

describe("stopRecordedInstances", () => {
  let dataDir = "";
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it("stops every recorded instance and what it started, including one that ignores SIGTERM", async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-local-stop-"));
    const start = (script: string) => spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    const polite = start("sleep 60 & wait");
    const stubborn = start("trap '' TERM; sleep 60 & wait; sleep 60");
    const env = path.join(localTargetsDir(dataDir), "env-1");
    await mkdir(env, { recursive: true });
    // An unpacked release folder sits beside the environments and may hold any JSON.
    await mkdir(path.join(localTargetsDir(dataDir), "releases", "abc"), { recursive: true });
    await writeFile(path.join(localTargetsDir(dataDir), "releases", "abc", "package.json"), JSON.stringify({ pid: process.pid }));
    for (const child of [polite, stubborn]) {
      await writeFile(path.join(env, `${child.pid}.json`), JSON.stringify({ id: String(child.pid), pid: child.pid, port: 1, version: "1", releaseId: "r", deploymentId: "d", cwd: dataDir, startedAt: new Date().toISOString() }));
    }

    await stopRecordedInstances(dataDir, 300);

    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(polite.pid!)).toBe(false);
    expect(isAlive(stubborn.pid!)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
  });
});
