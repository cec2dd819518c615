import { createHash, randomBytes } from "node:crypto";
import { NetworkingV1Api, Watch, type CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { CAP_DROP, KEEP_ALIVE, ownerLabels, type Owner } from "./container-common";
import type { ExecutorJob } from "./types";

/** A job's Pod: its spec, waiting for it to run, deleting it, and the no-network policy. */

export const CONTAINER = "job";
/** Selects the Pods of `network: false` jobs; the policy denies them all traffic (needs a CNI that enforces policies). */
export const NO_NETWORK_POLICY = "slipway-no-network";
// Waiting reasons the kubelet does not recover from by itself in a job's lifetime.
const FATAL_WAITING = new Set(["ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError"]);

export function podFor(job: ExecutorJob, namespace: string, owner: Owner, raw: Owner, runAsNonRoot?: boolean): V1Pod {
  const quantity = job.cpus || job.memoryMb ? { ...(job.cpus ? { cpu: `${Math.round(job.cpus * 1000)}m` } : {}), ...(job.memoryMb ? { memory: `${job.memoryMb}Mi` } : {}) } : undefined;
  const base = job.jobId.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `slipway-${base || "job"}-${randomBytes(3).toString("hex")}`,
      namespace,
      labels: {
        "slipway.job": labelValue(job.jobId),
        "slipway.run": labelValue(job.runId),
        ...ownerLabels(owner),
        ...(job.network ? {} : { "slipway.network": "none" }),
      },
      // Labels are cut to 63 characters; the full values are kept here for people.
      annotations: { "slipway.job": job.jobId, "slipway.run": job.runId, "slipway.worker": raw.workerId, "slipway.host": raw.host },
    },
    spec: {
      restartPolicy: "Never",
      // Steps run the project's code: they get no credentials for this cluster and no service discovery variables.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: CONTAINER,
          image: job.image,
          command: KEEP_ALIVE,
          workingDir: "/workspace",
          // Requests equal to limits: the Pod is "Guaranteed" and is not the first to be evicted.
          resources: quantity ? { requests: quantity, limits: quantity } : undefined,
          securityContext: {
            privileged: false,
            allowPrivilegeEscalation: false,
            capabilities: { drop: CAP_DROP },
            ...(runAsNonRoot ? { runAsNonRoot: true } : {}),
          },
          volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
        },
      ],
      volumes: [{ name: "workspace", emptyDir: {} }],
    },
  };
}

/** Resolves once the Pod runs; rejects early on a reason the kubelet will not fix, or at the deadline with the last reason seen. */
export async function waitForRunning(kc: KubeConfig, api: CoreV1Api, namespace: string, name: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pod = await api.readNamespacedPod({ name, namespace });
    // A watch from the version just read sees every change after it; when it ends early, read again.
    pod = (await watchUntilDecided(kc, pod, deadline)) ?? pod;
    const verdict = judge(pod);
    if (verdict === "running") return;
    if (verdict instanceof Error) throw verdict;
    const seconds = (timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0);
    if (Date.now() >= deadline) throw new Error(`Pod ${name} was not running after ${seconds} s: ${describePod(pod)}.`);
    // The watch ended undecided (the server closes watches now and then): a short pause keeps a refusing server from being hammered.
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
}

function watchUntilDecided(kc: KubeConfig, pod: V1Pod, deadline: number): Promise<V1Pod | undefined> {
  if (judge(pod) !== "waiting") return Promise.resolve(pod);
  const { name, namespace, resourceVersion } = pod.metadata!;
  return new Promise((resolve) => {
    let latest: V1Pod | undefined;
    let controller: AbortController | undefined;
    let finished = false;
    const finish = () => {
      finished = true;
      clearTimeout(timer);
      controller?.abort();
      resolve(latest);
    };
    const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    new Watch(kc)
      .watch(
        `/api/v1/namespaces/${namespace}/pods`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: false },
        (type: string, object: V1Pod) => {
          if (type === "DELETED") latest = { ...object, status: { ...object.status, phase: "Failed", reason: "Deleted", message: "the Pod was deleted while starting" } };
          else if (type === "ADDED" || type === "MODIFIED") latest = object;
          if (latest && judge(latest) !== "waiting") finish();
        },
        () => finish(),
      )
      .then((c) => {
        controller = c;
        // Decided before the watch call returned: its connection must not stay open.
        if (finished) c.abort();
      }, finish);
  });
}

function judge(pod: V1Pod): "running" | "waiting" | Error {
  const name = pod.metadata?.name;
  const phase = pod.status?.phase;
  if (phase === "Running") return "running";
  if (phase === "Succeeded" || phase === "Failed") return new Error(`Pod ${name} ended (${phase}) before its first step: ${describePod(pod)}.`);
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting && FATAL_WAITING.has(c.state.waiting.reason ?? ""));
  if (waiting) return new Error(`Pod ${name} cannot start: ${describePod(pod)}.`);
  return "waiting";
}

/** The most telling reason a Pod gives: a container's waiting or terminated reason, scheduling, or its phase. */
export function describePod(pod: V1Pod): string {
  for (const c of pod.status?.containerStatuses ?? []) {
    const state = c.state?.waiting ?? c.state?.terminated;
    if (state?.reason) return `${state.reason}${state.message ? `: ${state.message}` : ""}`;
  }
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unscheduled) return `${unscheduled.reason ?? "Unschedulable"}: ${unscheduled.message ?? "no node fits"}`;
  if (pod.status?.reason) return `${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ""}`;
  return `phase ${pod.status?.phase ?? "unknown"}`;
}

export async function ensureNoNetworkPolicy(kc: KubeConfig, namespace: string) {
  const body = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: NO_NETWORK_POLICY, namespace, labels: { "app.kubernetes.io/managed-by": "slipway" } },
    // Both directions listed, no rule allowing anything: the selected Pods get no traffic at all.
    spec: { podSelector: { matchLabels: { "slipway.network": "none" } }, policyTypes: ["Ingress", "Egress"] },
  };
  try {
    await kc.makeApiClient(NetworkingV1Api).createNamespacedNetworkPolicy({ namespace, body });
  } catch (err) {
    if ((err as { code?: number }).code === 409) return;
    throw new Error(`A job with network: false needs the NetworkPolicy ${NO_NETWORK_POLICY} in namespace ${namespace}, which could not be created: ${apiMessage(err)}`, {
      cause: err,
    });
  }
}

/** Deletes at once (grace 0: the job is over); true if it existed. Never throws for "not found". */
export async function deletePod(api: CoreV1Api, namespace: string, name: string): Promise<boolean> {
  try {
    await api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

/** A valid label value (63 characters at most, alphanumerics at both ends); long values keep a hash so they stay distinct. */
export function labelValue(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  if (clean.length <= 63) return clean;
  return `${clean.slice(0, 54).replace(/[^A-Za-z0-9]+$/, "")}-${createHash("sha1").update(value).digest("hex").slice(0, 8)}`;
}

/** The API server's own sentence (a Status' message) rather than client-node's dump of code, body and headers. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  try {
    const status = typeof body === "string" ? JSON.parse(body) : body;
    if (status && typeof status.message === "string") return status.message;
  } catch {
    // Not JSON: fall through to the error's own message.
  }
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}
