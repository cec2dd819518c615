import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import type { HealthCheck, HealthTally, TargetInstance, TrafficWeights, WarmUp } from "@/server/deploy";
import { findExecutable, PRIORITY, setProcessPriority, spawnAtPriority } from "@/server/config/cpu-priority";
import { freePort } from "@/server/config/ports";
import type { LocalTargetConfig } from "@/server/schemas/target";
import { extractBlob } from "@/server/services/artifacts";
import { httpProbe, sleep, waitReadyByProbing, warmUpByProbing } from "./probe";
import { RouterTraffic } from "./router-backed";
import { isAlive } from "@/server/config/pid";
import { localTargetsDir, signalGroup, type InstanceRecord } from "./local-processes";
import type { DeployTarget, ReleaseRef, TargetContext } from "./types";

/** Between SIGTERM and SIGKILL: long enough for a server to close its connections. */
const STOP_GRACE_MS = 5_000;

/**
 * Instances as child processes of a command on this machine (for machines without Docker,
 * and the demo). Each runs detached in its own process group with the port in `portEnv`, in
 * the release's unpacked artifact, and is recorded in a file under the data folder: so a
 * worker that restarts (or another worker on the same machine) finds the instances the last
 * one started, and they keep serving meanwhile.
 */
export function createLocalTarget(ctx: TargetContext, config: LocalTargetConfig): DeployTarget {
  return new LocalTarget(ctx, config);
}

class LocalTarget implements DeployTarget {
  readonly kind = "local" as const;
  private readonly dir: string;
  private readonly router: RouterTraffic;
  private readonly stopping = new Set<string>();
  private readonly known = new Map<string, InstanceRecord>();
  /** A boot's turn ends once its instance listens (see BOOT_STAGGER_MAX_MS). */
  private readonly boots = new Turns();
  /** A stop's turn ends once its instance has exited (see STOP_STAGGER_MAX_MS). */
  private readonly stops = new Turns();

  constructor(
    private readonly ctx: TargetContext,
    private readonly config: LocalTargetConfig,
  ) {
    this.dir = path.join(localTargetsDir(ctx.dataDir), ctx.environmentId);
    this.router = new RouterTraffic(ctx.db, ctx.environmentId, ctx.routerUrl, config.listenPort);
  }

  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.router.ensureRoute();
  }

  async listInstances(): Promise<TargetInstance[]> {
    const records = await this.records();
    const draining = await this.router.drainingUrls();
    return records.map((record) => ({
      id: record.id,
      version: record.version,
      status: this.stopping.has(record.id) || draining.has(urlOf(record)) ? "stopping" : isAlive(record.pid) ? "running" : "exited",
    }));
  }

  async startInstance(version: ReleaseRef, env: Record<string, string>): Promise<string> {
    const booted = await this.boots.take(BOOT_STAGGER_MAX_MS);
    let record: InstanceRecord;
    try {
      record = await this.launch(version, env);
    } catch (error) {
      booted();
      throw error;
    }
    void untilListening(record, BOOT_STAGGER_MAX_MS).then(booted);
    return record.id;
  }

  private async launch(version: ReleaseRef, env: Record<string, string>): Promise<InstanceRecord> {
    const cwd = await this.releaseDir(version.image);
    const port = await freePort();
    const id = `${version.version.replace(/[^A-Za-z0-9.-]/g, "-")}-${randomBytes(4).toString("hex")}`;
    await mkdir(this.dir, { recursive: true });
    const log = await open(path.join(this.dir, `${id}.log`), "a");
    try {
      const [program, ...args] = this.config.command;
      const childEnv = {
        PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
        LANG: process.env.LANG ?? "C.UTF-8",
        HOME: cwd,
        ...env,
        [this.config.portEnv]: String(port),
        SLIPWAY_VERSION: version.version,
        SLIPWAY_RELEASE_ID: version.releaseId,
      };
      if (!findExecutable(program, childEnv.PATH, cwd)) {
        throw new Error(`Could not start ${this.config.command.join(" ")}: ${program.includes("/") ? `${program} is not an executable file` : `no program ${program} on PATH (${childEnv.PATH})`}`);
      }
      // Booting a Node app takes a core for a few hundred ms: the instances serving meanwhile go first.
      const child = spawnAtPriority(PRIORITY.idle, program, args, {
        cwd,
        // Never the worker's own environment (it holds DATABASE_URL and the secret key). Next types make NODE_ENV mandatory in ProcessEnv, hence the cast.
        env: childEnv as unknown as NodeJS.ProcessEnv,
        detached: true,
        stdio: ["ignore", log.fd, log.fd],
      });
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", (error) => reject(new Error(`Could not start ${this.config.command.join(" ")}: ${error.message}`)));
      });
      child.unref();
      const record: InstanceRecord = { id, version: version.version, releaseId: version.releaseId, deploymentId: this.ctx.deploymentId, pid: child.pid!, port, cwd, startedAt: new Date().toISOString() };
      // Written whole under a temporary name first, so a reader never sees half a record.
      const file = path.join(this.dir, `${id}.json`);
      await writeFile(`${file}.tmp`, JSON.stringify(record));
      await rename(`${file}.tmp`, file);
      this.known.set(id, record);
      return record;
    } finally {
      await log.close();
    }
  }

  async probe(instanceId: string, check: HealthCheck, signal?: AbortSignal) {
    const record = await this.record(instanceId);
    if (!record) return { status: null, refused: false, error: "the instance is gone" };
    return httpProbe(urlOf(record), check, signal);
  }

  /** Still at the boot priority: the app's first requests are compiled in the gaps between the others'. */
  async warmUp(instanceId: string, check: HealthCheck, warmUp: WarmUp, signal?: AbortSignal) {
    const record = await this.record(instanceId);
    if (!record) return { status: null, refused: false, error: "the instance is gone" };
    return warmUpByProbing(urlOf(record), check, warmUp, signal);
  }

  async admit(instanceId: string): Promise<void> {
    const record = await this.record(instanceId);
    if (!record) return;
    await setProcessPriority(record.pid, PRIORITY.normal);
    await this.router.admit(record.version, urlOf(record));
  }

  previewUrl(instanceId: string): string | null {
    const record = this.known.get(instanceId);
    return record ? urlOf(record) : null;
  }

  waitReady(instanceId: string, check: HealthCheck, options: { signal?: AbortSignal; onProbe?: (tally: HealthTally) => void }) {
    return waitReadyByProbing(this, instanceId, check, options);
  }

  async stopInstance(instanceId: string, { drain }: { drain: boolean }): Promise<void> {
    const record = await this.record(instanceId);
    if (!record) return;
    this.stopping.add(instanceId);
    try {
      const end = () => this.kill(record);
      if (drain) await this.router.drainThen(urlOf(record), end);
      else await end();
    } finally {
      this.stopping.delete(instanceId);
    }
  }

  setTraffic(weights: TrafficWeights): Promise<void> {
    return this.router.setTraffic(weights);
  }

  getTraffic(): Promise<TrafficWeights> {
    return this.router.getTraffic();
  }

  readMetrics(windowSeconds: number) {
    return this.router.readMetrics(windowSeconds);
  }

  async teardown(): Promise<void> {
    for (const record of await this.records()) await this.kill(record);
    await this.router.teardown();
  }

  /**
   * SIGTERM to the process group, SIGKILL after the grace period; the record goes once the
   * process has. Instances stop one after another, as they boot (see STOP_STAGGER_MAX_MS).
   */
  private async kill(record: InstanceRecord): Promise<void> {
    const exited = await this.stops.take(STOP_STAGGER_MAX_MS);
    try {
      // Shutting down (closing connections, exiting) must not slow the instances that serve.
      await setProcessPriority(record.pid, PRIORITY.idle);
      signalGroup(record.pid, "SIGTERM");
      const deadline = Date.now() + STOP_GRACE_MS;
      while (isAlive(record.pid) && Date.now() < deadline) await sleep(25);
      if (isAlive(record.pid)) signalGroup(record.pid, "SIGKILL");
    } finally {
      exited();
    }
    await rm(path.join(this.dir, `${record.id}.json`), { force: true });
    this.known.delete(record.id);
  }

  /** Every pass lists the instances: a record is written once, whole, and only ever removed, so each file is read once. */
  private async records(): Promise<InstanceRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const ids = new Set(names.filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -".json".length)));
    const unread = [...ids].filter((id) => !this.known.has(id));
    const read = await Promise.all(unread.map((id) => readFile(path.join(this.dir, `${id}.json`), "utf8").then((text) => JSON.parse(text) as InstanceRecord, () => null)));
    for (const record of read) if (record) this.known.set(record.id, record);
    return [...this.known.values()].filter((record) => ids.has(record.id)).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  private async record(id: string): Promise<InstanceRecord | null> {
    if (this.known.has(id)) return this.known.get(id)!;
    return (await this.records()).find((r) => r.id === id) ?? null;
  }

  /** The release's artifact unpacked once per digest (into a temporary folder, then renamed, so a half-unpacked one is never used). */
  private async releaseDir(image: string): Promise<string> {
    const digest = image.startsWith("artifact:") ? image.slice("artifact:".length) : null;
    const releases = path.join(localTargetsDir(this.ctx.dataDir), "releases");
    const dest = path.join(releases, digest ? digest.replace(/[^0-9a-z]/gi, "_") : "no-artifact");
    if (await stat(dest).catch(() => null)) return dest;
    const tmp = `${dest}.tmp-${randomBytes(4).toString("hex")}`;
    await mkdir(tmp, { recursive: true });
    if (digest) await extractBlob(this.ctx.dataDir, digest, tmp, { label: "The release's artifact" });
    await rename(tmp, dest).catch(async (error: NodeJS.ErrnoException) => {
      // Another instance unpacked the same release first: use theirs.
      await rm(tmp, { recursive: true, force: true });
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
    return dest;
  }
}

const urlOf = (record: InstanceRecord) => `http://127.0.0.1:${record.port}`;

/**
 * Instances boot one after another, each once the one before listens (or has exited), but
 * never waiting longer than this for it. Three Node apps booting at once raised the p99 of
 * an app serving beside them from about 2.5 ms to 8-11 ms on two cores, even at nice 19;
 * the same three 300 ms apart left it unchanged.
 */
const BOOT_STAGGER_MAX_MS = 2_000;

/**
 * Instances stop one after another too, each once the one before has exited, but never
 * waiting longer than this for it. Blue-green stopping three Node apps at once, even at
 * nice 19, gave the apps serving beside them about 7 slow requests (over twice the steady
 * p99) in the 1.5 s after; one after another, about 2.
 */
const STOP_STAGGER_MAX_MS = 1_000;

/** One at a time, in the order asked: each turn starts once the one before ends, or after `maxWaitMs` at most. */
class Turns {
  private last: Promise<void> = Promise.resolve();

  /** Waits for this turn; the function it returns ends it. */
  async take(maxWaitMs: number): Promise<() => void> {
    const before = this.last;
    let end!: () => void;
    this.last = new Promise<void>((resolve) => (end = resolve));
    const waiting = new AbortController();
    await Promise.race([before, sleep(maxWaitMs, waiting.signal)]);
    waiting.abort();
    return end;
  }
}

async function untilListening(record: InstanceRecord, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && isAlive(record.pid)) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(record.port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => (socket.destroy(), resolve(false)));
    });
    if (listening) return;
    await sleep(20);
  }
}
