import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { User } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/db/testing/database";
import { startBoss } from "@/server/queue/boss";
import { EMAIL_QUEUE, emailNotice } from "@/server/services/email";
import { createProjectAs, createUser } from "@/server/testing/fixtures";
import { registerEmail } from "./email";

/** Email through a real SMTP server on loopback (smtp-server), sent by the worker, through its faults. */
let t: TestDatabase;
let owner: User;
let boss: Awaited<ReturnType<typeof startBoss>>;
let listen: postgres.Sql;
let email: Awaited<ReturnType<typeof registerEmail>>;
let server: SMTPServer | null = null;
let port = 0;
const inbox: { to: string[]; raw: string }[] = [];
/** What the server says to RCPT TO: "accept", or refuse for now with a 451. */
let mood: "accept" | "refuse" = "accept";

function startSmtp(): Promise<void> {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (mood === "refuse") return callback(Object.assign(new Error("Mailbox busy, try again later"), { responseCode: 451 }));
      callback();
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
      stream.on("end", () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  return new Promise((resolve) => server!.listen(port, "127.0.0.1", () => resolve()));
}

const stopSmtp = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

beforeAll(async () => {
  t = await createTestDatabase();
  owner = await createUser(t.db);
  await startSmtp();
  port = (server!.server.address() as AddressInfo).port;
  const smtp = { url: `smtp://127.0.0.1:${port}`, from: "Slipway <slipway@example.test>" };
  vi.stubEnv("SLIPWAY_SMTP_URL", smtp.url);
  vi.stubEnv("SLIPWAY_SMTP_FROM", smtp.from);
  boss = await startBoss(t.url);
  listen = postgres(t.url, { max: 1, onnotice: () => undefined });
  // A long poll: these tests call pump themselves, after making a retry due.
  email = await registerEmail(boss, { smtp, listen, baseUrl: "https://slipway.example.test", pollMs: 3_600_000 });
});

afterEach(() => {
  mood = "accept";
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await email.stop();
  await boss.stop({ graceful: false, wait: true });
  await listen.end();
  await stopSmtp();
  await t.close();
});

type JobRow = { id: string; state: string; wait_s: number };
const jobs = () =>
  t.db.execute<JobRow>(sql`select id, state::text as state, extract(epoch from start_after - now())::float8 as wait_s from pgboss.job where name = ${EMAIL_QUEUE} order by created_on`);

/** What the backoff would wait for, had time passed: the job is due now. */
const timePasses = () => t.db.execute(sql`update pgboss.job set start_after = now() where name = ${EMAIL_QUEUE} and state = 'retry'`);

async function queueEmail(summary: string) {
  const project = await createProjectAs(t.db, owner);
  const queued = await t.db.transaction((tx) => emailNotice(t.db, tx, { projectId: project.id, event: "deployment.failed", summary, path: "/projects/{slug}/deployments/d1" }, async () => [owner.id]));
  expect(queued).toBe(1);
  return project;
}

describe("email", () => {
  it("is sent by the worker, with the link under SLIPWAY_URL", async () => {
    const project = await queueEmail("1.0.2 to production failed: health check");
    await email.pump();
    const mail = inbox.pop()!;
    expect(mail.to).toEqual([owner.email]);
    expect(mail.raw).toContain(`Subject: [${project.name}] 1.0.2 to production failed: health check`);
    expect(mail.raw).toContain(`https://slipway.example.test/projects/${project.slug}/deployments/d1`);
    expect((await jobs()).every((j) => j.state === "completed")).toBe(true);
  });

  it("is kept and retried with backoff while the mail server is down, and delivered once it is back", async () => {
    await stopSmtp();
    await queueEmail("Down: first");
    await email.pump();
    let [job] = (await jobs()).filter((j) => j.state !== "completed");
    expect(job.state).toBe("retry");
    expect(job.wait_s).toBeGreaterThan(29);
    await timePasses();
    await email.pump();
    [job] = (await jobs()).filter((j) => j.state !== "completed");
    // Backoff: the second wait is longer than the first could be.
    expect(job.state).toBe("retry");
    expect(job.wait_s).toBeGreaterThan(59);
    await startSmtp();
    await timePasses();
    await email.pump();
    expect(inbox.map((m) => m.raw).filter((raw) => raw.includes("Down: first"))).toHaveLength(1);
    expect((await jobs()).every((j) => j.state === "completed")).toBe(true);
  });

  it("is retried when the server refuses it for now, and not lost", async () => {
    mood = "refuse";
    await queueEmail("Refused: second");
    await email.pump();
    expect((await jobs()).filter((j) => j.state === "retry")).toHaveLength(1);
    expect(inbox.some((m) => m.raw.includes("Refused: second"))).toBe(false);
    mood = "accept";
    await timePasses();
    await email.pump();
    expect(inbox.filter((m) => m.raw.includes("Refused: second"))).toHaveLength(1);
  });

  it("is not queued when SMTP is not configured", async () => {
    vi.stubEnv("SLIPWAY_SMTP_URL", "");
    try {
      const project = await createProjectAs(t.db, owner);
      const asked = vi.fn(async () => [owner.id]);
      expect(await t.db.transaction((tx) => emailNotice(t.db, tx, { projectId: project.id, event: "deployment.failed", summary: "x" }, asked))).toBe(0);
      expect(asked).not.toHaveBeenCalled();
    } finally {
      vi.stubEnv("SLIPWAY_SMTP_URL", `smtp://127.0.0.1:${port}`);
    }
  });
});
