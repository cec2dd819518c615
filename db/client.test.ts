import { afterAll, describe, expect, it } from "vitest";
import { connect } from "./client";
import { createTestDatabase, type TestDatabase } from "./testing/database";

describe("a connection whose server process went away", () => {
  let test: TestDatabase;
  afterAll(() => test?.close());

  // postgres.js 3.4.9 threw from a timer here, which ends the whole process (db/patches, porsager/postgres#1208).
  it("fails the next query with an error the caller can catch, and the pool carries on", async () => {
    test = await createTestDatabase();
    const { sql } = connect(test.url, 2);
    try {
      const reserved = await sql.reserve();
      const [{ pid }] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
      await sql`select pg_terminate_backend(${pid})`;
      await new Promise((r) => setTimeout(r, 100));
      await expect(reserved`select 1`).rejects.toThrow();
      reserved.release();
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
