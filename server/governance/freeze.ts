import { Cron } from "croner";
import type { FreezeWindow } from "./rules";

/**
 * Freeze windows: one-off ranges [startsAt, endsAt) and recurring ones (a cron in a time zone
 * saying when each occurrence starts, and how long it lasts). Pure: `now` is passed in.
 */

export type ActiveFreeze = {
  /** The windows covering `now`. */
  windows: FreezeWindow[];
  /** Whether any of them refuses deployments instead of holding them. */
  refuses: boolean;
  /** When deploying is allowed again: the end of the covering windows, following windows that overlap or touch them. */
  until: Date;
};

/** Longest chain of back-to-back windows followed (a freeze that never ends stops here). */
const MAX_CHAIN = 200;

/** The occurrence of `window` covering `at`, as [start, end), or null. */
export function occurrenceAt(window: FreezeWindow, at: Date): { start: Date; end: Date } | null {
  if (window.kind === "once") {
    return window.startsAt.getTime() <= at.getTime() && at.getTime() < window.endsAt.getTime() ? { start: window.startsAt, end: window.endsAt } : null;
  }
  const cron = new Cron(window.cron, { timezone: window.timezone, paused: true });
  // The latest start at or before `at` (previousRuns is exclusive of its reference, hence the millisecond).
  const [start] = cron.previousRuns(1, new Date(at.getTime() + 1));
  if (!start) return null;
  const end = new Date(start.getTime() + window.durationMinutes * 60_000);
  return at.getTime() < end.getTime() ? { start, end } : null;
}

/** The freeze in force at `now`, or null when deploying is allowed. */
export function activeFreeze(windows: FreezeWindow[], now: Date): ActiveFreeze | null {
  const covering = windows.filter((w) => occurrenceAt(w, now));
  if (covering.length === 0) return null;
  return { windows: covering, refuses: covering.some((w) => w.mode === "refuse"), until: freezeEnd(windows, now) };
}

/** When the freeze covering `now` ends, following windows that start before (or as) the one before ends. */
export function freezeEnd(windows: FreezeWindow[], now: Date): Date {
  let at = now;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const ends = windows.map((w) => occurrenceAt(w, at)?.end).filter((e): e is Date => !!e);
    if (ends.length === 0) return at;
    at = new Date(Math.max(...ends.map((e) => e.getTime())));
  }
  return at;
}

/** The next freeze to start after `now` within `horizonMs`, for pages ("freeze from Friday 18:00"). */
export function nextFreeze(windows: FreezeWindow[], now: Date, horizonMs = 31 * 24 * 3_600_000): { window: FreezeWindow; start: Date } | null {
  let best: { window: FreezeWindow; start: Date } | null = null;
  for (const window of windows) {
    const start = window.kind === "once" ? (window.startsAt.getTime() > now.getTime() ? window.startsAt : null) : new Cron(window.cron, { timezone: window.timezone, paused: true }).nextRun(now);
    if (!start || start.getTime() - now.getTime() > horizonMs) continue;
    if (!best || start.getTime() < best.start.getTime()) best = { window, start };
  }
  return best;
}

const utcMinute = (at: Date) => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;
const windowNames = (freeze: ActiveFreeze) => freeze.windows.map((w) => `"${w.name}"`).join(" and ");

export function describeFreeze(freeze: ActiveFreeze): string {
  return `Deployments are frozen (${windowNames(freeze)}) until ${utcMinute(freeze.until)}`;
}

/** Why a button that deploys to a frozen environment is off: until when, which windows, and what happens to deployments meanwhile. */
export function describeFrozenEnvironment(environmentName: string, freeze: ActiveFreeze): string {
  const meanwhile = freeze.refuses
    ? "Deployments are refused until then; an administrator can override the freeze with a written reason."
    : "Deployments from pipelines and the API wait and start by themselves then.";
  return `${environmentName} is frozen until ${utcMinute(freeze.until)}: ${windowNames(freeze)}. ${meanwhile}`;
}
