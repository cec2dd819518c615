import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Figure } from "./figure";
import { spawnSlipway, treeRssMb, waitHealthy } from "./slipway-process";

/** Start once so the data folder, build and bundles exist: the figures are for an installed tree. */
async function preparedDataDir(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-bench-"));
  const warm = await spawnSlipway(dataDir);
  await waitHealthy(warm.port);
  await warm.stop();
  return dataDir;
}

export async function benchStartToHealthy(): Promise<Figure[]> {
  const dataDir = await preparedDataDir();
  try {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const slipway = await spawnSlipway(dataDir);
      await waitHealthy(slipway.port);
      times.push(performance.now() - started);
      await slipway.stop();
    }
    times.sort((a, b) => a - b);
    return [{ name: "start_to_healthy_ms", value: Math.round(times[1]), unit: "ms", goal: "< 10000" }];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function benchIdleRss(): Promise<Figure[]> {
  const dataDir = await preparedDataDir();
  const slipway = await spawnSlipway(dataDir);
  try {
    await waitHealthy(slipway.port);
    await new Promise((r) => setTimeout(r, 60_000));
    return [{ name: "idle_rss_mb", value: Math.round(treeRssMb(slipway.child.pid!)), unit: "MB", goal: "< 700" }];
  } finally {
    await slipway.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
