import { describe, expect, it } from "vitest";
import { cronProblem, timezoneProblem } from "./cron";

describe("cronProblem", () => {
  it.each(["0 3 * * 1-5", "*/15 * * * *", "0 0 1 JAN,jul *", "30 2 * * MON-FRI", "0 0 * * 7", "5,10-20/5 * * * *", "@daily", "@hourly"])(
    "accepts %s",
    (cron) => {
      expect(cronProblem(cron)).toBeUndefined();
    },
  );

  it.each([
    ["* * * * * *", "a cron has 5 fields (minute hour day-of-month month day-of-week), this one has 6"],
    ["61 * * * *", "the minute field allows 0-59, got 61"],
    ["0 24 * * *", "the hour field allows 0-23, got 24"],
    ["0 0 0 * *", "the day-of-month field allows 1-31, got 0"],
    ["0 0 * 13 *", "the month field allows 1-12, got 13"],
    ["0 0 * * 8", "the day-of-week field allows 0-7, got 8"],
    ["0 0 * * MOON", 'the day-of-week field has "MOON", which is not a number or a name such as SUN'],
    ["*/0 * * * *", 'the minute field has step "/0"; a step is a whole number from 1 to 59'],
    ["0 5-1 * * *", 'the hour field has range "5-1", which runs backwards'],
    ["0,,5 * * * *", "the minute field has an empty list entry"],
    ["0 0 31 2 *", "it never fires (no such date exists)"],
    ["@often", "use one of @yearly, @annually, @monthly, @weekly, @daily, @hourly or five fields"],
  ])("refuses %s: %s", (cron, problem) => {
    expect(cronProblem(cron)).toBe(problem);
  });
});

describe("timezoneProblem", () => {
  it("accepts IANA names and refuses unknown ones", () => {
    expect(timezoneProblem("Europe/Berlin")).toBeUndefined();
    expect(timezoneProblem("UTC")).toBeUndefined();
    expect(timezoneProblem("Europe/Atlantis")).toMatch(/Unknown time zone "Europe\/Atlantis"/);
  });
});
