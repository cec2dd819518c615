import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { prepareQueues, senderFor } from "./job-queue";

describe("job queues", () => {
  const opened: TestDatabase[] = [];
  afterAll(async () => {
    for (const { db, close } of opened) {
      await (await senderFor(db)).stop({ graceful: false, wait: true });
      await close();
    }
  });

  // pg-boss drops a job sent to a missing queue without an error, so a queue remembered from another database lost every job.
  it("creates a labelled queue in each database one process sends to", async () => {
    for (let i = 0; i < 2; i++) opened.push(await createTestDatabase());
    for (const { db } of opened) await prepareQueues(db, [["linux", "docker"]]);
    for (const { db } of opened) expect(await (await senderFor(db)).getQueue("jobs:docker,linux")).toMatchObject({ name: "jobs:docker,linux" });
  });
});
