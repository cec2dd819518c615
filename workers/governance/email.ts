import nodemailer, { type Transporter } from "nodemailer";
import type PgBoss from "pg-boss";
import type postgres from "postgres";
import type { SmtpSettings } from "@/server/config/settings";
import { ensureQueues } from "@/server/queue/boss";
import { EMAIL_QUEUE, emailMessageSchema, type EmailMessage } from "@/server/services/email";
import { rerunning } from "../rerun";

export type EmailWorkerOptions = {
  smtp: SmtpSettings;
  /** A connection of its own for LISTEN (the worker's shared one). */
  listen: postgres.Sql;
  /** SLIPWAY_URL: links in emails point under it. */
  baseUrl: string;
  /** How often to look for retries that came due. Default 5 s. */
  pollMs?: number;
  onError?: (error: Error) => void;
};

const TIMEOUTS_MS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 };

export function smtpTransport(smtp: SmtpSettings): Transporter {
  // A mail server that does not answer must not hold the sender for minutes (nodemailer waits 2 min by default).
  // nodemailer reads options from the URL's query only when given a URL, so they go there; the administrator's own win.
  const url = new URL(smtp.url);
  for (const [name, ms] of Object.entries(TIMEOUTS_MS)) if (!url.searchParams.has(name)) url.searchParams.set(name, String(ms));
  return nodemailer.createTransport(url.toString());
}

export async function sendEmail(transport: Transporter, smtp: SmtpSettings, baseUrl: string, message: EmailMessage): Promise<void> {
  const link = message.path ? `\n\n${baseUrl}${message.path}\n` : "\n";
  await transport.sendMail({ from: smtp.from, to: message.to, subject: message.subject, text: `${message.text}${link}` });
}

/**
 * Sends the queued emails: as they are queued (pg-boss's insert trigger NOTIFYs), and on a
 * timer for retries that came due. A send that fails is failed in pg-boss, which tries it
 * again later with backoff; nothing is dropped while the mail server is down.
 */
export async function registerEmail(boss: PgBoss, options: EmailWorkerOptions) {
  const onError = options.onError ?? ((error: Error) => console.error(`email: ${error.message}`));
  await ensureQueues(boss, [EMAIL_QUEUE]);
  const transport = smtpTransport(options.smtp);
  let stopped = false;
  const pumping = rerunning(
    async () => {
      while (!stopped) {
        const jobs = await boss.fetch<unknown>(EMAIL_QUEUE, { batchSize: 10 });
        if (jobs.length === 0) break;
        for (const job of jobs) {
          try {
            await sendEmail(transport, options.smtp, options.baseUrl, emailMessageSchema.parse(job.data));
            await boss.complete(EMAIL_QUEUE, job.id);
          } catch (error) {
            await boss.fail(EMAIL_QUEUE, job.id, { message: (error as Error).message });
          }
        }
      }
    },
    { onError, stopped: () => stopped },
  );
  const pump = pumping.run;

  const listener = await options.listen.listen("slipway_jobs", (queue) => queue === EMAIL_QUEUE && void pump());
  const timer = setInterval(() => void pump(), options.pollMs ?? 5_000);
  void pump();

  return {
    pump,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener.unlisten().catch(() => undefined);
      await pumping.idle();
      transport.close();
    },
  };
}
