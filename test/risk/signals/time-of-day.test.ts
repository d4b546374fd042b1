import { describe, expect, it } from "vitest";
import {
  createTimeOfDay,
  localHour,
  TIME_OF_DAY_DEFAULTS,
} from "../../../authz-server/src/risk/signals/time-of-day.ts";
import { input, run, snapshot, T0 } from "../fixtures.ts";

/** 180 past requests between 08:00 and 16:59, plus this request in `hour` (snapshots count it). */
const officeHours = (hour: number) => {
  const h = new Array<number>(24).fill(0);
  for (let i = 8; i <= 16; i++) h[i] = 20;
  h[hour] = (h[hour] ?? 0) + 1;
  return h;
};

describe("localHour", () => {
  it("applies the UTC offset and wraps around", () => {
    expect(localHour(T0, 0)).toBe(12);
    expect(localHour(T0, 120)).toBe(14);
    expect(localHour(T0, -780)).toBe(23);
    expect(localHour(Date.UTC(2026, 0, 5, 0, 30), -60)).toBe(23);
  });
});

describe("time-of-day", () => {
  const signal = createTimeOfDay(TIME_OF_DAY_DEFAULTS);
  const at = (hourUtc: number, hours: number[]) =>
    run(signal, input({ nowMs: Date.UTC(2026, 0, 5, hourUtc, 15), snapshot: snapshot({ hours }) }));

  it("is silent within the habit and its ±1 h margin", () => {
    expect(at(12, officeHours(12))).toEqual([]);
    expect(at(17, officeHours(17))).toEqual([]); // 16:xx neighbours → share 20/180
  });
  it("scores weight × (1 − share/minShare) outside it", () => {
    expect(at(3, officeHours(3))).toEqual([
      { signal: "time-of-day", contribution: 20, detail: "0 of 180 past requests within an hour of 03:00 local" },
    ]);
    // 3 requests near 03:00 out of 183 → share 0.01639 → 20 × (1 − 0.3279) = 13.44
    const h = officeHours(3);
    h[3] = 4; // 3 before this one
    expect(at(3, h)[0]?.contribution).toBe(13.44);
  });
  it("waits for minSamples of history", () => {
    const h = new Array<number>(24).fill(0);
    h[3] = 1; // this request
    h[12] = 49;
    expect(at(3, h)).toEqual([]);
    h[12] = 50;
    expect(at(3, h)[0]?.contribution).toBe(20);
  });
});
