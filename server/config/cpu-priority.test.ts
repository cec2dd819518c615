import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { threadPriorities } from "@/server/testing/thread-priorities";
import { canRaisePriority, PRIORITY, setProcessPriority, spawnAtPriority } from "./cpu-priority";

describe("CPU priorities", () => {
  it("starts a process at the asked priority where it can be raised back, and leaves the caller's own as it was", () => {
    const own = os.getPriority(0);
    const child = spawnAtPriority(PRIORITY.worker, () => spawnSync("sh", ["-c", "nice"], { encoding: "utf8" }));
    expect(Number(child.stdout.trim())).toBe(canRaisePriority() ? PRIORITY.worker : own);
    expect(os.getPriority(0)).toBe(own);
  });

  it("lowers every thread of a running process, including those it started before", async () => {
    // A Node process has a dozen threads by the time it runs code.
    const child = spawn(process.execPath, ["-e", "console.log('up'); setInterval(() => {}, 1000)"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      await new Promise((resolve) => child.stdout!.once("data", resolve));
      expect(readdirSync(`/proc/${child.pid}/task`).length).toBeGreaterThan(1);
      setProcessPriority(child.pid!, PRIORITY.idle);
      expect(threadPriorities(child.pid!)).toEqual([PRIORITY.idle]);
      setProcessPriority(child.pid!, PRIORITY.normal);
      expect(threadPriorities(child.pid!)).toEqual([canRaisePriority() ? PRIORITY.normal : PRIORITY.idle]);
    } finally {
      child.kill();
    }
  });

  it("ignores a process that is gone", () => {
    // Above any pid_max Linux allows, so no process can have it.
    expect(() => setProcessPriority(2 ** 31 - 2, PRIORITY.idle)).not.toThrow();
  });
});
