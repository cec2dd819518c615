import { describe, expect, it } from "vitest";
import { criticalPath, groupJobs, groupStatus, type RunJob } from "./run-model";

const at = (s: number) => new Date(1_000_000 + s * 1000);
function job(key: string, jobId: string, status: string, needs: string[], start?: number, end?: number): RunJob {
  return { id: key, key, jobId, name: key, status, needs, matrix: null, attempt: 1, reason: null, startedAt: start === undefined ? null : at(start), finishedAt: end === undefined ? null : at(end) };
}

describe("run graph model", () => {
  it("groups matrix runs under their pipeline job and joins their edges", () => {
    const { groups, edges } = groupJobs([
      job("build", "build", "succeeded", [], 0, 5),
      job("test[node=20]", "test", "succeeded", ["build"], 5, 9),
      job("test[node=22]", "test", "running", ["build"], 5),
      job("ship", "ship", "pending", ["test[node=20]", "test[node=22]"]),
    ]);
    expect(groups.map((g) => [g.id, g.jobs.length, g.status])).toEqual([
      ["build", 1, "succeeded"],
      ["test", 2, "running"],
      ["ship", 1, "pending"],
    ]);
    expect(edges).toEqual([
      { source: "build", target: "test" },
      { source: "test", target: "ship" },
    ]);
  });

  it("shows the worst outcome once every run is done", () => {
    expect(groupStatus(["succeeded", "failed"])).toBe("failed");
    expect(groupStatus(["skipped", "skipped"])).toBe("skipped");
    expect(groupStatus(["succeeded", "skipped"])).toBe("succeeded");
  });

  it("follows the needs that finished last back from the last job", () => {
    const { groups, edges } = groupJobs([
      job("a", "a", "succeeded", [], 0, 2),
      job("slow", "slow", "succeeded", ["a"], 2, 30),
      job("fast", "fast", "succeeded", ["a"], 2, 4),
      job("z", "z", "succeeded", ["slow", "fast"], 30, 31),
    ]);
    expect(criticalPath(groups, edges, Date.now())).toEqual(["a", "slow", "z"]);
  });
});
