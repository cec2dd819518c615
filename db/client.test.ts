import { afterAll, describe, expect, it } from "vitest";
import { sql as drizzleSql } from "drizzle-orm";
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

describe("queries through drizzle", () => {
  let test: TestDatabase;
  afterAll(() => test?.close());

  /** The statements the one connection of `sqlOf` has prepared. */
  const prepared = async (sqlOf: { sql: ReturnType<typeof connect>["sql"] }) =>
    (await sqlOf.sql<{ statement: string }[]>`select statement from pg_prepared_statements`).map((row) => row.statement);

  it("are prepared once per connection, in transactions and savepoints too, so a repeat takes one round trip", async () => {
    test = await createTestDatabase();
    const one = connect(test.url, 1);
    try {
      await one.db.execute(drizzleSql`create table gadgets (id int primary key, name text)`);
      await one.db.execute(drizzleSql`insert into gadgets values (${1}, ${"first"})`);
      const read = () => one.db.execute(drizzleSql`select name from gadgets where id = ${1}`);
      await read();
      await one.db.transaction(async (tx) => {
        await tx.execute(drizzleSql`select id from gadgets where name = ${"first"}`);
        await tx.transaction((inner) => inner.execute(drizzleSql`select count(*) from gadgets where id > ${0}`));
      });
      expect(await read()).toEqual([{ name: "first" }]);
      const statements = await prepared(one);
      expect(statements).toEqual(
        expect.arrayContaining([
          "select name from gadgets where id = $1",
          "select id from gadgets where name = $1",
          "select count(*) from gadgets where id > $1",
        ]),
      );
      // The repeat used the statement prepared the first time, not a second one.
      expect(statements.filter((s) => s === "select name from gadgets where id = $1")).toHaveLength(1);
    } finally {
      await one.sql.end({ timeout: 1 });
    }
  });

  it("keep working when a migration changes a table under a prepared one", async () => {
    const one = connect(test.url, 1);
    try {
      await one.db.execute(drizzleSql`create table widgets (id int primary key, name text)`);
      await one.db.execute(drizzleSql`insert into widgets values (${1}, ${"cog"})`);
      const read = () => one.db.execute(drizzleSql`select * from widgets where id = ${1}`);
      expect(await read()).toEqual([{ id: 1, name: "cog" }]);
      await one.db.execute(drizzleSql`alter table widgets add column colour text default 'red'`);
      expect(await read()).toEqual([{ id: 1, name: "cog", colour: "red" }]);
    } finally {
      await one.sql.end({ timeout: 1 });
    }
  });
});
