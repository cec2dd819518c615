import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { placeNewNodes } from "@/components/pipeline-editor/layout";
import { readGraph } from "@/server/pipeline/document";
import type { Figure } from "./figure";
import { spawnSlipway, waitHealthy } from "./slipway-process";

const ADMIN = { email: "bench@slipway.local", password: "bench-password-1" };
const LAYERS = 10;
const PER_LAYER = 20;
const NAVIGATIONS = 5;

/**
 * A 200-job pipeline shaped like a large monorepo's: ten stages of twenty
 * jobs, each needing one to three jobs of the stage before (a fixed
 * pseudo-random choice, so every run of the bench sees the same graph).
 */
export function benchPipeline(): string {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lines = ["# Generated for the editor benchmark.", "on:", "  manual: {}", "jobs:"];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let i = 0; i < PER_LAYER; i++) {
      lines.push(`  stage${layer}-job${i}:`, `    name: Stage ${layer} job ${i}`);
      if (layer > 0) {
        const needs = new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => `stage${layer - 1}-job${Math.floor(random() * PER_LAYER)}`));
        lines.push(`    needs: [${[...needs].join(", ")}]`);
      }
      if (i % 4 === 0) lines.push("    image: node:22");
      lines.push("    steps:", "      - uses: checkout", `      - run: echo building part ${layer}.${i}`);
    }
  }
  return lines.join("\n") + "\n";
}

async function trpc(page: Page, procedure: string, input: unknown): Promise<unknown> {
  const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  if (!response.ok()) throw new Error(`${procedure} answered ${response.status()}: ${await response.text()}`);
  return ((await response.json()) as { result: { data: { json: unknown } } }).result.data.json;
}

async function signedInPage(browser: Browser, baseURL: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL, viewport: { width: 1440, height: 900 } })).newPage();
  // A fresh server renders each page for the first time slowly; the figures come later, from warm pages.
  page.setDefaultTimeout(120_000);
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("signed-in-as").waitFor();
  return page;
}

/**
 * Seeds, through the same API the browser uses, a project whose latest
 * revision is the 200-job pipeline. With `positions`, the revision holds the
 * node positions the editor saves with every revision (ELK's layout, as after
 * a first save); without, every open lays the whole graph out.
 */
async function seedProject(page: Page, positions: boolean): Promise<string> {
  const slug = `bench-${positions ? "saved" : "cold"}-${Date.now().toString(36)}`;
  const project = (await trpc(page, "projects.create", { name: `Editor bench ${slug}`, slug, repositoryUrl: `/nonexistent/${slug}.git`, defaultBranch: "main", description: "" })) as { id: string };
  await trpc(page, "pipelines.setSource", { projectId: project.id, source: "slipway" });
  const yaml = benchPipeline();
  const read = readGraph(yaml);
  if (!read.ok) throw new Error(read.error.message);
  const laid = positions ? await placeNewNodes(read.graph.jobs.map((j) => j.id), read.graph.edges, {}) : {};
  await trpc(page, "pipelines.save", { projectId: project.id, yaml, message: "bench", positions: laid ?? {}, baseNumber: 0 });
  return slug;
}

/** From navigation start to a laid-out, fitted graph whose main thread answers the next frame. */
async function openEditor(page: Page, slug: string): Promise<number> {
  const started = performance.now();
  await page.goto(`/projects/${slug}/editor`);
  await page.locator('[data-testid="pipeline-canvas"][data-ready="true"]').waitFor();
  await page.locator(".react-flow__node").first().waitFor();
  await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => resolve(null)))");
  return performance.now() - started;
}

type TraceEvent = { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string; data?: { type?: string } } };

/**
 * Main-thread time of each frame while a node is dragged, from a Chromium
 * performance trace: the tasks run between two frame starts
 * (BeginMainThreadFrame) on the page's main thread, for the frames that
 * handled pointer input. The 60 Hz frame clock itself is not counted, only
 * the work the drag made (input, React, React Flow, style, layout, paint).
 */
async function dragFrames(browser: Browser, page: Page): Promise<number[]> {
  // A node in the middle of the view, grabbed at its centre.
  const view = page.viewportSize() ?? { width: 1440, height: 900 };
  const boxes = await page.locator(".react-flow__node").evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
  const middle = (b: { x: number; y: number; width: number; height: number }) => Math.hypot(b.x + b.width / 2 - view.width / 2, b.y + b.height / 2 - view.height / 2);
  const box = boxes.sort((a, b) => middle(a) - middle(b))[0];
  if (!box) throw new Error("no node to drag");
  await browser.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame", "toplevel"] });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 120; i++) await page.mouse.move(box.x + box.width / 2 + i, box.y + box.height / 2 + i / 2);
  await page.mouse.up();
  const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
  const events = trace.traceEvents;
  const input = events.filter((e) => e.name === "EventDispatch" && ["pointermove", "mousemove"].includes(e.args?.data?.type ?? ""));
  if (input.length === 0) throw new Error("the trace holds no pointer input");
  const onMain = (e: TraceEvent) => e.pid === input[0].pid && e.tid === input[0].tid;
  const starts = events.filter((e) => onMain(e) && e.name === "BeginMainThreadFrame").map((e) => e.ts).sort((a, b) => a - b);
  const tasks = events.filter((e) => onMain(e) && e.name === "RunTask" && e.ph === "X");
  const frames: number[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const [from, to] = [starts[i], starts[i + 1]];
    if (!input.some((e) => e.ts >= from && e.ts < to)) continue;
    const busy = tasks.filter((t) => t.ts >= from && t.ts < to).reduce((sum, t) => sum + (t.dur ?? 0), 0);
    frames.push(busy / 1000);
  }
  if (process.env.BENCH_DEBUG) console.error(`trace: ${input.length} pointer events, ${starts.length} frame starts, ${tasks.length} tasks`);
  return frames;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function benchEditor(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "slipway-bench-editor-"));
  const slipway = await spawnSlipway(dataDir, { SLIPWAY_ADMIN_EMAIL: ADMIN.email, SLIPWAY_ADMIN_PASSWORD: ADMIN.password });
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  const args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];
  let browser: Browser | null = null;
  try {
    // A Slipway that cannot start (say, its web app fails to build) ends the bench at once, not after the timeout.
    const exited = new Promise<never>((_, reject) => slipway.child.once("exit", (code) => reject(new Error(`Slipway exited with ${code} before it was healthy`))));
    exited.catch(() => undefined);
    await Promise.race([waitHealthy(slipway.port, 300_000), exited]);
    const baseURL = `http://localhost:${slipway.port}`;
    browser = await chromium.launch({ executablePath, args });
    const page = await signedInPage(browser, baseURL);
    const saved = await seedProject(page, true);
    const cold = await seedProject(page, false);
    // One open first, so the figures are for a browser that has the page's code cached, as a person's does.
    await openEditor(page, saved);
    const times: number[] = [];
    const coldTimes: number[] = [];
    for (let i = 0; i < NAVIGATIONS; i++) {
      times.push(await openEditor(page, saved));
      coldTimes.push(await openEditor(page, cold));
    }
    if (process.env.BENCH_DEBUG) console.error("editor open times (ms), saved positions:", times.map(Math.round).join(", "), "; no positions:", coldTimes.map(Math.round).join(", "));
    await openEditor(page, saved);
    const frames = await dragFrames(browser, page);
    if (process.env.BENCH_DEBUG) console.error("drag frame times (ms):", frames.map((f) => f.toFixed(1)).join(" "));
    if (frames.length < 20) throw new Error(`only ${frames.length} frames were recorded while dragging`);
    return [
      { name: "editor_200_jobs_ready_ms", value: Math.round(median(times)), unit: "ms", goal: "< 1500" },
      // The same pipeline without saved positions (from the repository, or saved through the API): ELK lays out all 200 jobs.
      { name: "editor_200_jobs_first_layout_ms", value: Math.round(median(coldTimes)), unit: "ms", goal: "informational" },
      { name: "editor_drag_frame_p50_ms", value: Math.round(median(frames) * 10) / 10, unit: "ms", goal: "< 16" },
    ];
  } finally {
    await browser?.close();
    await slipway.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
