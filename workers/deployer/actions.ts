import type { Release } from "@/db/schema";
import type { Action, PreviewCheck, SmokeTestResult } from "@/server/deploy";
import type { DeployTarget, ReleaseRef } from "@/workers/targets/types";

/** Failed starts of one version in a row before the deployment gives up on it. */
export const MAX_START_FAILURES = 3;

export type ActionHooks = {
  /** Records a line in the deployment's history. */
  note: (kind: "error" | "action", message: string) => Promise<void>;
  /** Asks for a reconcile at `at` (a timer here, and a delayed queue message in case this worker dies). */
  wakeAt: (at: number) => void;
  /** Something the next observation must see happened (a smoke test ended). */
  poke: () => void;
  /** The new version cannot even start: end the deployment with this reason. */
  giveUp: (reason: string) => Promise<void>;
};

/** How a release is started on this kind of target. */
export function releaseRef(release: Release, kind: DeployTarget["kind"]): ReleaseRef {
  const base = { version: release.version, releaseId: release.id };
  if (kind === "local") return { ...base, image: release.artifactDigest ? `artifact:${release.artifactDigest}` : "" };
  // docker starts the exact image by digest or id; a cluster can only pull a registry digest (repo@sha256:…).
  if (kind === "docker") return { ...base, image: release.imageDigest ?? release.image ?? "" };
  return { ...base, image: release.imageDigest?.includes("@") ? release.imageDigest : (release.image ?? "") };
}

/**
 * Carries out the target actions of a reconcile, in order. Starts are awaited (the next
 * observation must show them); stops drain in the background and show as "stopping"
 * meanwhile, so a long drain never holds up a rollback. Bookkeeping actions were recorded
 * with the state already.
 */
export class ActionRunner {
  readonly stopping = new Map<string, Promise<void>>();
  smokeTest: SmokeTestResult | null;
  private startFailures = new Map<string, number>();

  constructor(
    private readonly target: DeployTarget,
    private readonly releases: Release[],
    private readonly env: Record<string, string>,
    private readonly hooks: ActionHooks,
    smokeTest: SmokeTestResult | null,
  ) {
    this.smokeTest = smokeTest;
  }

  async run(actions: Action[]): Promise<void> {
    for (const action of actions) {
      try {
        await this.one(action);
      } catch (error) {
        await this.hooks.note("error", `Could not ${action.type}: ${(error as Error).message}`);
      }
    }
  }

  /** Finishes a stop another worker began and could not end (it shows as stopping, with nobody stopping it here). */
  adoptStop(instanceId: string): void {
    if (!this.stopping.has(instanceId)) this.stop(instanceId);
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.stopping.values()]);
  }

  private async one(action: Action): Promise<void> {
    switch (action.type) {
      case "startInstances":
        return this.start(action.version, action.count);
      case "stopInstances":
        for (const id of action.instanceIds) this.stop(id);
        return;
      case "setTraffic":
        return this.target.setTraffic(action.weights);
      case "switchTraffic":
        return this.target.setTraffic({ [action.to]: 100 });
      case "scheduleWake":
        return this.hooks.wakeAt(action.at);
      case "runSmokeTest":
        this.smokeTest = { status: "running" };
        void this.smokeTestRun(action.version, action.checks, action.job).then((result) => {
          this.smokeTest = result;
          this.hooks.poke();
        });
        return;
      default:
        return;
    }
  }

  private async start(version: string, count: number): Promise<void> {
    const release = this.releases.find((r) => r.version === version);
    if (!release) throw new Error(`no release of this deployment has the version ${version}`);
    const ref = releaseRef(release, this.target.kind);
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.target.startInstance(ref, this.env)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (!failed) {
      this.startFailures.delete(version);
      return;
    }
    const failures = (this.startFailures.get(version) ?? 0) + 1;
    this.startFailures.set(version, failures);
    const reason = (failed.reason as Error).message;
    await this.hooks.note("error", `Could not start ${version} (attempt ${failures} of ${MAX_START_FAILURES}): ${reason}`);
    if (failures >= MAX_START_FAILURES) await this.hooks.giveUp(`${version} could not be started: ${reason}`);
  }

  private stop(instanceId: string): void {
    const stopping = this.target
      .stopInstance(instanceId, { drain: true })
      .catch((error: Error) => this.hooks.note("error", `Could not stop ${instanceId}: ${error.message}`))
      .finally(() => {
        this.stopping.delete(instanceId);
        this.hooks.poke();
      });
    this.stopping.set(instanceId, stopping);
  }

  /** Preview checks straight against every instance of the version, before it gets traffic. */
  private async smokeTestRun(version: string, checks: PreviewCheck[], job: string | null): Promise<SmokeTestResult> {
    if (job !== null) return { status: "failed", detail: `smoke-test jobs ("${job}") are not run by deployments yet; use previewChecks instead` };
    const instances = (await this.target.listInstances()).filter((i) => i.version === version && i.status === "running");
    for (const instance of instances) {
      const base = this.target.previewUrl(instance.id);
      if (!base) return { status: "failed", detail: `${instance.id} cannot be reached directly for preview checks` };
      for (const check of checks) {
        const status = await fetch(new URL(check.path, base), { signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.status,
          () => null,
        );
        if (status !== check.expectedStatus) {
          return { status: "failed", detail: `GET ${check.path} on ${instance.id} answered ${status ?? "nothing"}, expected ${check.expectedStatus}` };
        }
      }
    }
    return { status: "passed" };
  }
}
