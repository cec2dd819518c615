import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { ensureQueues, senderFor } from "./boss";
import { jobQueueName, queueLabels } from "./job-queue";

describe("queues", () => {
  const opened: TestDatabase[] = [];
  afterAll(async () => {
    for (const { db, close } of opened) {
      await (await senderFor(db)).stop({ graceful: false, wait: true });
      await close();
    }
  });

  // pg-boss drops a job sent to a missing queue without an error, so a queue remembered from another database lost every job.
  it("creates a queue in each database one process sends to", async () => {
    for (let i = 0; i < 2; i++) opened.push(await createTestDatabase());
    for (const { db } of opened) await ensureQueues(await senderFor(db), ["deliveries"]);
    for (const { db } of opened) expect(await (await senderFor(db)).getQueue("deliveries")).toMatchObject({ name: "deliveries" });
  });

  it("names a job's pool by its sorted labels, and reads the labels back", () => {
    expect(jobQueueName([])).toBe("jobs");
    expect(jobQueueName(["linux", "docker", "linux"])).toBe("jobs:docker,linux");
    expect(queueLabels("jobs:docker,linux")).toEqual(["docker", "linux"]);
    expect(queueLabels("worker-heartbeat")).toBeNull();
  });
});
