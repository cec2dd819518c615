import { inArray, eq } from "drizzle-orm";
import { z } from "zod";
import { rawTransactionClient, type Database, type DbTransaction } from "@/db/client";
import { projects, users } from "@/db/schema";
import { smtpSettings } from "@/server/config/settings";
import { bossDb, ensureQueues } from "@/server/queue/boss";
import { senderFor } from "@/server/queue/boss";
import type { Notice } from "./notifications";

/**
 * Email about events, when SMTP is configured: one pg-boss job per recipient, written in the
 * transaction of the change (so mail goes only about what committed, and a slow or dead mail
 * server never holds that transaction up). The worker sends them (workers/governance/email.ts);
 * pg-boss retries a failed send with backoff, and a job whose worker died expires and is retried.
 */

export const EMAIL_QUEUE = "email";

/** What the worker sends: one email to one person. `path` is a link under SLIPWAY_URL. */
export const emailMessageSchema = z.object({
  to: z.email(),
  subject: z.string().min(1).max(300),
  text: z.string().max(20_000),
  path: z.string().startsWith("/").nullable(),
});
export type EmailMessage = z.infer<typeof emailMessageSchema>;

/** Tries over about a day: 30 s, 1 min, 2 min, … doubling (pg-boss's backoff). */
export const EMAIL_RETRY = { retryLimit: 12, retryDelay: 30, retryBackoff: true } as const;

/**
 * Emails the notice to the people `recipients` names (user ids), in `tx`. Does nothing, and
 * asks nobody, when SMTP is not configured. Returns how many emails were queued.
 */
export async function emailNotice(db: Database, tx: DbTransaction, notice: Notice, recipients: () => Promise<(string | null)[]>): Promise<number> {
  if (!smtpSettings()) return 0;
  const ids = [...new Set((await recipients()).filter((id): id is string => !!id))];
  if (ids.length === 0) return 0;
  const people = await tx.select({ email: users.email }).from(users).where(inArray(users.id, ids));
  if (people.length === 0) return 0;
  const [project] = await tx.select({ slug: projects.slug, name: projects.name }).from(projects).where(eq(projects.id, notice.projectId));
  const path = notice.path?.replace("{slug}", project.slug) ?? null;
  const messages = people.map(
    (person): EmailMessage => ({
      to: person.email,
      subject: `[${project.name}] ${notice.summary}`.slice(0, 300),
      text: `${notice.summary}\n\nProject: ${project.name}`,
      path,
    }),
  );
  const boss = await senderFor(db);
  await ensureQueues(boss, [EMAIL_QUEUE]);
  await boss.insert(
    messages.map((data) => ({ name: EMAIL_QUEUE, data, ...EMAIL_RETRY, expireInSeconds: 120 })),
    { db: bossDb(rawTransactionClient(tx)) },
  );
  return messages.length;
}
