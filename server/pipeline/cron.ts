import { Cron } from "croner";

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  // 7 is Sunday too, as in Vixie cron.
  { name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
] as const;

const NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"];

type Field = (typeof FIELDS)[number];

function fieldValue(text: string, field: Field): number | string {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max
      ? value
      : `the ${field.name} field allows ${field.min}-${field.max}, got ${text}`;
  }
  const names: readonly string[] = "names" in field ? field.names : [];
  const index = names.indexOf(text.toUpperCase());
  if (index >= 0) return index + (field.name === "month" ? 1 : 0);
  const hint = names.length > 0 ? ` or a name such as ${names[0]}` : "";
  return `the ${field.name} field has "${text}", which is not a number${hint}`;
}

function checkItem(item: string, field: Field): string | undefined {
  const [range, step, extra] = item.split("/");
  if (extra !== undefined) return `the ${field.name} field has "${item}" with more than one "/"`;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > field.max)) {
    return `the ${field.name} field has step "/${step}"; a step is a whole number from 1 to ${field.max}`;
  }
  if (range === "*") return undefined;
  const [from, to, more] = range.split("-");
  if (more !== undefined || from === "") return `the ${field.name} field has "${item}", which is not a value or a range a-b`;
  const start = fieldValue(from, field);
  if (typeof start === "string") return start;
  if (to === undefined) return undefined;
  const end = fieldValue(to, field);
  if (typeof end === "string") return end;
  return start > end ? `the ${field.name} field has range "${range}", which runs backwards` : undefined;
}

/**
 * What is wrong with a five-field cron expression (minute hour day-of-month month
 * day-of-week), as a phrase for "Invalid cron "...": <phrase>.", or undefined when
 * it is valid and fires at least once.
 */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith("@")) {
    return NICKNAMES.includes(text.toLowerCase()) ? undefined : `use one of ${NICKNAMES.join(", ")} or five fields`;
  }
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    return `a cron has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}`;
  }
  for (let i = 0; i < 5; i++) {
    for (const item of parts[i].split(",")) {
      const problem = item === "" ? `the ${FIELDS[i].name} field has an empty list entry` : checkItem(item, FIELDS[i]);
      if (problem) return problem;
    }
  }
  try {
    // croner is the scheduler's authority; our checks above only phrase the common mistakes better.
    const cron = new Cron(text, { paused: true });
    if (cron.nextRun() === null) return "it never fires (no such date exists)";
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern:\s*/, "");
  }
  return undefined;
}

/** What is wrong with an IANA time zone name, or undefined when the runtime knows it. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `Unknown time zone "${timezone}"; use an IANA name such as "Europe/Berlin" or "UTC".`;
  }
}
