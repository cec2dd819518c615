import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { threadPolicies, threadPriorities } from "@/server/testing/thread-priorities";
import { canRaisePriority, findExecutable, PRIORITY, setProcessPriority, spawnAtPriority, type Priority } from "./cpu-priority";

/** A Node process that prints "up" once it runs code: it has a dozen threads by then. */
async function nodeProcess(priority: Priority = PRIORITY.normal) {
  const child = spawnAtPriority(priority, process.execPath, ["-e", "console.log('up'); setInterval(() => {}, 1000)"], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return child;
}

describe("CPU priorities", () => {
  it("starts a process at the asked priority where it can be raised back, and leaves the caller's own as it was", async () => {
    const own = os.getPriority(0);
    const child = await nodeProcess(PRIORITY.worker);
    try {
      expect(threadPriorities(child.pid!)).toEqual([canRaisePriority() ? PRIORITY.worker.nice : own]);
      // Under SCHED_IDLE from its first instruction: its threads were all started by then.
      if (canRaisePriority() && findExecutable("chrt")) expect(threadPolicies(child.pid!)).toEqual(["idle"]);
      expect(os.getPriority(0)).toBe(own);
      expect(threadPolicies(process.pid)).toEqual(["normal"]);
    } finally {
      child.kill();
    }
  });

  it("passes the program its arguments and environment unchanged", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "slipway-priority-"));
    try {
      const child = spawnAtPriority(PRIORITY.idle, "sh", ["-c", 'printf "%s %s" "$1" "$GREETING" > out', "sh", "two words"], { cwd: folder, env: { ...process.env, GREETING: "hi" } });
      await new Promise((resolve) => child.once("exit", resolve));
      expect(await readFile(path.join(folder, "out"), "utf8")).toBe("two words hi");
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("lowers every thread of a running process, including those it started before, and raises them back where it may", async () => {
    const child = await nodeProcess();
    try {
      expect(threadPriorities(child.pid!).length).toBe(1);
      await setProcessPriority(child.pid!, PRIORITY.idle);
      expect(threadPriorities(child.pid!)).toEqual([PRIORITY.idle.nice]);
      if (findExecutable("chrt")) expect(threadPolicies(child.pid!)).toEqual(["idle"]);
      await setProcessPriority(child.pid!, PRIORITY.normal);
      expect(threadPriorities(child.pid!)).toEqual([canRaisePriority() ? PRIORITY.normal.nice : PRIORITY.idle.nice]);
      if (canRaisePriority() && findExecutable("chrt")) expect(threadPolicies(child.pid!)).toEqual(["normal"]);
    } finally {
      child.kill();
    }
  });

  it("gives a detached process's session, a CPU group of its own under autogroups, the process's priority", async () => {
    // Only root may raise it back, and only kernels with autogroups give a session a CPU group.
    if (!canRaisePriority() || !existsSync("/proc/self/autogroup")) return;
    const ownGroup = readFileSync("/proc/self/autogroup", "utf8");
    const child = spawnAtPriority(PRIORITY.idle, process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" });
    const group = () => readFileSync(`/proc/${child.pid}/autogroup`, "utf8");
    try {
      expect(group()).toMatch(/ nice 19\n$/);
      await setProcessPriority(child.pid!, PRIORITY.normal);
      expect(group()).toMatch(/ nice 0\n$/);
      await setProcessPriority(child.pid!, PRIORITY.worker);
      expect(group()).toMatch(/ nice 19\n$/);
      // A process in the caller's session leaves the session's group, the caller's own, alone.
      const sibling = await nodeProcess(PRIORITY.idle);
      await setProcessPriority(sibling.pid!, PRIORITY.idle);
      sibling.kill();
      expect(readFileSync("/proc/self/autogroup", "utf8")).toBe(ownGroup);
    } finally {
      child.kill();
    }
  });

  it("ignores a process that is gone", async () => {
    // Above any pid_max Linux allows, so no process can have it.
    await expect(setProcessPriority(2 ** 31 - 2, PRIORITY.idle)).resolves.toBeUndefined();
  });

  it("finds a program as execvp would: on PATH by name, relative to the folder by path, and only when it is an executable file", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "slipway-executable-"));
    try {
      await writeFile(path.join(folder, "notes.txt"), "not a program", { mode: 0o644 });
      expect(findExecutable("sh", "/nonexistent:/bin:/usr/bin")).toMatch(/\/sh$/);
      expect(findExecutable("sh", "/nonexistent")).toBeNull();
      expect(findExecutable("./sh", "", "/bin")).toBe("/bin/sh");
      expect(findExecutable("notes.txt", folder)).toBeNull();
      expect(findExecutable(folder)).toBeNull();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
