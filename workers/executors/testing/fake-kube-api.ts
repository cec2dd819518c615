import { readFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo, Socket } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import { KubeConfig, type V1Pod, type V1Status } from "@kubernetes/client-node";

// `ws` (client-node's own WebSocket library) ships no types and @types/ws is not installed: the few members used are typed here.
type WebSocket = {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: Buffer): void;
  close(code?: number): void;
  terminate(): void;
  on(event: "message", listener: (data: Buffer) => void): void;
  on(event: "close", listener: () => void): void;
};
type WebSocketServer = { handleUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer, done: (ws: WebSocket) => void): void };
const { WebSocketServer } = createRequire(import.meta.url)("ws") as {
  WebSocketServer: new (options: { noServer: true; handleProtocols: (offered: Set<string>) => string | false }) => WebSocketServer;
};

/**
 * A stand-in for the Kubernetes API server on 127.0.0.1, answering the calls the
 * kubernetes executor makes with recorded responses (k8s-fixtures/*.json). Pods
 * move through recorded statuses; exec speaks the real channel protocol
 * (v4.channel.k8s.io, or v5 with its stdin close signal) and is carried out by a
 * "kubelet": scripted, or a Docker container per Pod (docker-kubelet.ts).
 */

export type PodOutcome = "running" | "image-pull-backoff" | "unschedulable";
export type ExecIo = { stdin: Readable; stdout: (chunk: Buffer) => void; stderr: (chunk: Buffer) => void };

export interface FakeKubelet {
  start(pod: V1Pod): Promise<PodOutcome>;
  /** Resolves with the command's exit code. */
  exec(pod: V1Pod, command: string[], io: ExecIo): Promise<number>;
  remove(pod: V1Pod): Promise<void>;
}

export type RecordedRequest = { method: string; path: string; query: URLSearchParams; body?: unknown; protocol?: string; command?: string[] };

export type ExecProtocol = "v4.channel.k8s.io" | "v5.channel.k8s.io";

export type FakeKubeApi = {
  url: string;
  kubeConfig: KubeConfig;
  requests: RecordedRequest[];
  pods: Map<string, V1Pod>;
  close(): Promise<void>;
};

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./k8s-fixtures/${name}.json`, import.meta.url), "utf8")) as T;
}

const TOKEN = "fake-token";

export async function startFakeKubeApi({ kubelet, protocol = "v5.channel.k8s.io" }: { kubelet: FakeKubelet; protocol?: ExecProtocol }): Promise<FakeKubeApi> {
  const requests: RecordedRequest[] = [];
  const pods = new Map<string, V1Pod>();
  const watchers = new Set<(type: string, pod: V1Pod) => void>();
  // Every change, so a watch from a resourceVersion replays what happened after it, as the real one does.
  const history: Array<{ type: string; pod: V1Pod; version: number }> = [];
  let version = 184_233;

  const publish = (type: "ADDED" | "MODIFIED" | "DELETED", pod: V1Pod) => {
    pod.metadata!.resourceVersion = String(++version);
    history.push({ type, pod: structuredClone(pod), version });
    for (const watcher of watchers) watcher(type, structuredClone(pod));
  };
  const setStatus = (name: string, status: V1Pod["status"]) => {
    const pod = pods.get(name);
    if (!pod) return;
    const image = pod.spec!.containers[0].image!;
    const text = JSON.stringify(status).replaceAll("registry.invalid/team/never:1", image).replaceAll("busybox:1.36", image);
    pod.status = { ...JSON.parse(text), qosClass: pod.status?.qosClass };
    publish("MODIFIED", pod);
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const body = req.method === "POST" ? JSON.parse((await readBody(req)) || "null") : undefined;
    requests.push({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, body });
    const reply = (code: number, json: unknown) => res.writeHead(code, { "Content-Type": "application/json" }).end(JSON.stringify(json));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });

    const collection = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/);
    const item = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/);
    if (collection && req.method === "POST") {
      const pod = createdPod(body as V1Pod, collection[1]);
      if (pods.has(pod.metadata!.name!)) return reply(409, { ...fixture<object>("status-networkpolicy-exists"), message: `pods "${pod.metadata!.name}" already exists`, details: { name: pod.metadata!.name, kind: "pods" } });
      pods.set(pod.metadata!.name!, pod);
      publish("ADDED", pod);
      reply(201, pod);
      void startPod(pod);
      return;
    }
    if (collection && req.method === "GET" && url.searchParams.get("watch") === "true") return watch(url, res);
    if (collection && req.method === "GET") {
      const items = [...pods.values()].filter((p) => matchesLabels(p, url.searchParams.get("labelSelector")));
      return reply(200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(version) }, items });
    }
    if (item && (req.method === "GET" || req.method === "DELETE")) {
      const pod = pods.get(item[2]);
      if (!pod) return reply(404, notFound(item[2]));
      if (req.method === "GET") return reply(200, pod);
      pods.delete(item[2]);
      pod.metadata!.deletionTimestamp = new Date();
      pod.metadata!.deletionGracePeriodSeconds = Number(url.searchParams.get("gracePeriodSeconds") ?? 30);
      publish("DELETED", pod);
      await kubelet.remove(pod).catch(() => undefined);
      return reply(200, pod);
    }
    const policies = url.pathname.match(/^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies$/);
    if (policies && req.method === "POST") {
      const exists = requests.filter((r) => r.path === url.pathname && r.method === "POST").length > 1;
      if (exists) return reply(409, fixture("status-networkpolicy-exists"));
      const policy = body as { metadata: object };
      return reply(201, { ...policy, metadata: { ...policy.metadata, uid: "0d7e1f2a-9b3c-4d5e-8f6a-1b2c3d4e5f60", resourceVersion: String(++version), generation: 1 } });
    }
    reply(404, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", code: 404 });
  });

  async function startPod(pod: V1Pod) {
    const name = pod.metadata!.name!;
    const outcome = await kubelet.start(structuredClone(pod)).catch(() => "image-pull-backoff" as const);
    if (outcome === "unschedulable") return setStatus(name, fixture("pod-status-unschedulable"));
    setStatus(name, fixture("pod-status-container-creating"));
    // The Pod stays ContainerCreating until someone watches it, so the executor must wait through
    // both states however slow the machine is (a fixed pause let a slow reader see Running at once).
    const watched = () => requests.some((r) => r.query.get("watch") === "true" && r.query.get("fieldSelector") === `metadata.name=${name}`);
    for (let waited = 0; !watched() && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    setStatus(name, fixture(outcome === "running" ? "pod-status-running" : "pod-status-image-pull-backoff"));
  }

  function watch(url: URL, res: http.ServerResponse) {
    const name = url.searchParams.get("fieldSelector")?.match(/^metadata\.name=(.+)$/)?.[1];
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    const send = (type: string, pod: V1Pod) => {
      if (!name || pod.metadata?.name === name) res.write(`${JSON.stringify({ type, object: pod })}\n`);
    };
    const from = Number(url.searchParams.get("resourceVersion") ?? "");
    // Without a resourceVersion a real watch starts with the current state as ADDED events.
    if (!from) for (const pod of pods.values()) send("ADDED", pod);
    else for (const event of history) if (event.version > from) send(event.type, event.pod);
    watchers.add(send);
    res.on("close", () => watchers.delete(send));
  }

  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(protocol) ? protocol : false) });
  server.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const match = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/);
    const pod = match ? pods.get(match[2]) : undefined;
    const command = url.searchParams.getAll("command");
    const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(/\s*,\s*/);
    requests.push({ method: "GET", path: url.pathname, query: url.searchParams, command, protocol: offered.includes(protocol) ? protocol : undefined });
    if (!pod || pod.status?.phase !== "Running") {
      const status = pod ? { ...notFound(pod.metadata!.name!), message: `pod ${pod.metadata!.name} is not running`, reason: "BadRequest", code: 400 } : notFound(match?.[2] ?? "");
      socket.end(`HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(status)}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      const stdin = new PassThrough();
      ws.on("message", (data: Buffer) => {
        if (data[0] === 0) stdin.write(data.subarray(1));
        else if (data[0] === 255 && data[1] === 0) stdin.end();
      });
      ws.on("close", () => {
        sockets.delete(ws);
        stdin.end();
      });
      const send = (channel: number, chunk: Buffer) => ws.readyState === ws.OPEN && ws.send(Buffer.concat([Buffer.from([channel]), chunk]));
      kubelet
        .exec(pod, command, { stdin, stdout: (c) => send(1, c), stderr: (c) => send(2, c) })
        .then((code) => execStatus(code, command), (err: Error) => ({ ...fixture<V1Status>("exec-status-container-not-found"), message: err.message }))
        .then((status) => {
          send(3, Buffer.from(JSON.stringify(status)));
          ws.close(1000);
        });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
    users: [{ name: "u", token: TOKEN }],
    contexts: [{ name: "c", cluster: "fake", user: "u" }],
    currentContext: "c",
  });
  return {
    url,
    kubeConfig,
    requests,
    pods,
    async close() {
      for (const ws of sockets) ws.terminate();
      await Promise.all([...pods.values()].map((pod) => kubelet.remove(pod).catch(() => undefined)));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The stored Pod: what was sent, plus what the API server fills in (uid, defaults, QoS class), from the recorded response. */
function createdPod(sent: V1Pod, namespace: string): V1Pod {
  const recorded = fixture<V1Pod>("pod-created");
  const defaults = recorded.spec!.containers[0];
  const containers = sent.spec!.containers.map((c) => ({
    terminationMessagePath: defaults.terminationMessagePath,
    terminationMessagePolicy: defaults.terminationMessagePolicy,
    imagePullPolicy: c.image?.endsWith(":latest") || !c.image?.includes(":") ? "Always" : "IfNotPresent",
    ...c,
  }));
  const resources = sent.spec!.containers[0].resources;
  const guaranteed = resources?.limits?.cpu && resources.limits.memory && JSON.stringify(resources.limits) === JSON.stringify(resources.requests);
  return {
    ...recorded,
    metadata: { ...recorded.metadata, ...sent.metadata, namespace, creationTimestamp: new Date() },
    spec: { ...recorded.spec, ...sent.spec, containers },
    status: { phase: "Pending", qosClass: guaranteed ? "Guaranteed" : resources?.limits || resources?.requests ? "Burstable" : "BestEffort" },
  };
}

function execStatus(code: number, command: string[]): V1Status {
  if (code === 0) return fixture<V1Status>("exec-status-success");
  const recorded = fixture<V1Status>("exec-status-exit-code");
  return {
    ...recorded,
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${code}`,
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

function notFound(name: string) {
  const status = fixture<{ message: string; details: object; code: number; reason: string }>("status-pod-not-found");
  return { ...status, message: `pods "${name}" not found`, details: { ...status.details, name } };
}

/** `a`, `a=b` and `a!=b` terms joined by commas: the subset of label selectors the executor uses. */
function matchesLabels(pod: V1Pod, selector: string | null): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (selector ?? "").split(",").filter(Boolean).every((term) => {
    const [key, value] = term.split(/!?=/);
    if (value === undefined) return key in labels;
    return term.includes("!=") ? labels[key] !== value : labels[key] === value;
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
