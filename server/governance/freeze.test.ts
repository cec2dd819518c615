import { describe, expect, it } from "vitest";
import { activeFreeze, describeFreeze, describeFrozenEnvironment, freezeEnd, nextFreeze, occurrenceAt } from "./freeze";
import type { FreezeWindow } from "./rules";

const at = (iso: string) => new Date(iso);
const once = (name: string, startsAt: string, endsAt: string, mode: "wait" | "refuse" = "wait"): FreezeWindow => ({ id: name, name, kind: "once", startsAt: at(startsAt), endsAt: at(endsAt), mode });
const recurring = (name: string, cron: string, timezone: string, durationMinutes: number, mode: "wait" | "refuse" = "wait"): FreezeWindow => ({
  id: name,
  name,
  kind: "recurring",
  cron,
  timezone,
  durationMinutes,
  mode,
});

describe("one-off freeze windows", () => {
  const holidays = once("Holidays", "2026-12-20T00:00:00Z", "2027-01-02T00:00:00Z");
  it("cover from their start (inclusive) to their end (exclusive)", () => {
    expect(occurrenceAt(holidays, at("2026-12-19T23:59:59.999Z"))).toBeNull();
    expect(occurrenceAt(holidays, at("2026-12-20T00:00:00Z"))).toEqual({ start: at("2026-12-20T00:00:00Z"), end: at("2027-01-02T00:00:00Z") });
    expect(occurrenceAt(holidays, at("2027-01-01T23:59:59Z"))).not.toBeNull();
    expect(occurrenceAt(holidays, at("2027-01-02T00:00:00Z"))).toBeNull();
  });
});

describe("recurring freeze windows", () => {
  // Every Friday 18:00 Berlin time for the weekend (63 hours): to Monday 09:00.
  const weekend = recurring("Weekend", "0 18 * * FRI", "Europe/Berlin", 63 * 60);

  it("start at the cron's time in its zone and last their duration", () => {
    // 2026-03-06 is a Friday; Berlin is UTC+1 in March before the DST change.
    expect(occurrenceAt(weekend, at("2026-03-06T16:59:59Z"))).toBeNull();
    expect(occurrenceAt(weekend, at("2026-03-06T17:00:00Z"))).toEqual({ start: at("2026-03-06T17:00:00Z"), end: at("2026-03-09T08:00:00Z") });
    expect(occurrenceAt(weekend, at("2026-03-08T12:00:00Z"))?.end).toEqual(at("2026-03-09T08:00:00Z"));
    expect(occurrenceAt(weekend, at("2026-03-09T08:00:00Z"))).toBeNull();
    expect(occurrenceAt(weekend, at("2026-03-11T12:00:00Z"))).toBeNull();
  });

  it("follow daylight saving time: 18:00 Berlin is 16:00 UTC in summer", () => {
    expect(occurrenceAt(weekend, at("2026-07-03T15:59:00Z"))).toBeNull();
    expect(occurrenceAt(weekend, at("2026-07-03T16:00:00Z"))?.start).toEqual(at("2026-07-03T16:00:00Z"));
  });
});

describe("the freeze in force", () => {
  it("is none outside every window", () => {
    expect(activeFreeze([once("a", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")], at("2026-02-01T00:00:00Z"))).toBeNull();
    expect(activeFreeze([], at("2026-02-01T00:00:00Z"))).toBeNull();
  });

  it("ends when the last of overlapping or touching windows ends", () => {
    const windows = [
      once("a", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
      once("b", "2026-01-01T12:00:00Z", "2026-01-03T00:00:00Z"),
      once("c", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"),
      once("later", "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"),
    ];
    const freeze = activeFreeze(windows, at("2026-01-01T06:00:00Z"))!;
    expect(freeze.windows.map((w) => w.name)).toEqual(["a"]);
    expect(freeze.until).toEqual(at("2026-01-04T00:00:00Z"));
    expect(freeze.refuses).toBe(false);
    expect(describeFreeze(freeze)).toBe('Deployments are frozen ("a") until 2026-01-04 00:00 UTC');
  });

  it("tells a person at a deploy button until when the environment is frozen, by which windows, and what happens meanwhile", () => {
    const windows = [once("Launch", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), once("Audit", "2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "refuse")];
    expect(describeFrozenEnvironment("production", activeFreeze(windows.slice(0, 1), at("2026-01-01T06:00:00Z"))!)).toBe(
      'production is frozen until 2026-01-02 00:00 UTC: "Launch". Deployments from pipelines and the API wait and start by themselves then.',
    );
    expect(describeFrozenEnvironment("production", activeFreeze(windows, at("2026-01-01T06:00:00Z"))!)).toBe(
      'production is frozen until 2026-01-02 00:00 UTC: "Launch" and "Audit". Deployments are refused until then; an administrator can override the freeze with a written reason.',
    );
  });

  it("chains a recurring window into a one-off one", () => {
    const windows = [recurring("Nightly", "0 22 * * *", "UTC", 60), once("Maintenance", "2026-05-01T23:00:00Z", "2026-05-02T02:00:00Z")];
    expect(freezeEnd(windows, at("2026-05-01T22:30:00Z"))).toEqual(at("2026-05-02T02:00:00Z"));
  });

  it("refuses when any covering window refuses", () => {
    const windows = [once("wait", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), once("refuse", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "refuse")];
    expect(activeFreeze(windows, at("2026-01-01T00:30:00Z"))!.refuses).toBe(true);
    expect(activeFreeze(windows, at("2026-01-01T01:30:00Z"))!.refuses).toBe(false);
  });

  it("stops following a freeze that never ends", () => {
    const always = recurring("Always", "* * * * *", "UTC", 5);
    const end = freezeEnd([always], at("2026-01-01T00:00:00Z"));
    expect(end.getTime()).toBeGreaterThan(at("2026-01-01T00:00:00Z").getTime());
  });

  it("names the next freeze to start", () => {
    const windows = [recurring("Weekend", "0 18 * * FRI", "UTC", 60), once("Holidays", "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")];
    expect(nextFreeze(windows, at("2026-03-04T00:00:00Z"))).toMatchObject({ window: { name: "Holidays" }, start: at("2026-03-05T00:00:00Z") });
    expect(nextFreeze(windows, at("2026-03-05T01:00:00Z"))).toMatchObject({ window: { name: "Weekend" }, start: at("2026-03-06T18:00:00Z") });
    expect(nextFreeze(windows, at("2026-03-05T01:00:00Z"), 3_600_000)).toBeNull();
  });
});
