/* eslint-disable @typescript-eslint/no-explicit-any -- API objects of every kind pass through as JSON; the client under test checks their shape. */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/**
 * A stand-in for the Kubernetes API server on 127.0.0.1, for the kubernetes target's tests
 * (no cluster can run where they run). It answers the calls the target makes with objects
 * shaped like recorded API responses (k8s-apps-fixtures/*.json) and plays the controllers the
 * target relies on: a Deployment's replicas become Pods (Pending, then Ready a moment later,
 * or never Ready for an image named "*unready*"); scaling down removes the Pods with the
 * lowest pod-deletion-cost first, as a ReplicaSet does.
 */

type Obj = { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; [k: string]: unknown }; spec?: any; status?: any; [k: string]: unknown };
export type RecordedCall = { method: string; path: string; body?: unknown; contentType?: string };

const FIXTURES = path.join(import.meta.dirname, "k8s-apps-fixtures");
const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));

export class FakeKubeApps {
  readonly calls: RecordedCall[] = [];
  readonly deployments = new Map<string, Obj>();
  readonly pods = new Map<string, Obj>();
  readonly services = new Map<string, Obj>();
  readonly secrets = new Map<string, Obj>();
  readonly httproutes = new Map<string, Obj>();
  /** How long a new Pod stays Pending. */
  readyAfterMs = 50;
  private server!: http.Server;
  url = "";

  constructor(readonly namespace: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        const body = text ? JSON.parse(text) : undefined;
        const url = new URL(req.url ?? "/", "http://fake");
        this.calls.push({ method: req.method!, path: url.pathname, body, contentType: req.headers["content-type"] });
        const [status, reply] = this.handle(req.method!, url, body);
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A kubeconfig for the fake, as a person would store it in a secret. */
  kubeconfig(): string {
    return JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      // Plain http on loopback: the client refuses it unless told to skip TLS checks.
      clusters: [{ name: "fake", cluster: { server: this.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "deployer", user: { token: "fake-token" } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "deployer", namespace: this.namespace } }],
      "current-context": "fake",
    });
  }

  /** The kubelet reports the Pod Ready now (for tests that hold Pods Pending with a long `readyAfterMs`). */
  markReady(podName: string): void {
    const pod = this.pods.get(podName);
    if (pod) pod.status = fixture("pod-status-ready");
  }

  /** An HTTPRoute as a cluster admin would have made it, attached to a Gateway. */
  addHttpRoute(name: string): void {
    const route = fixture("httproute");
    route.metadata.name = name;
    this.httproutes.set(name, route);
  }

  private handle(method: string, url: URL, body: any): [number, unknown] {
    const match = /^\/(?:api\/v1|apis\/apps\/v1|apis\/gateway\.networking\.k8s\.io\/v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/(scale))?$/.exec(url.pathname);
    if (!match || match[1] !== this.namespace) return [404, notFound("namespaces", url.pathname)];
    const [, , kind, name, sub] = match;
    const store = ({ deployments: this.deployments, pods: this.pods, services: this.services, secrets: this.secrets, httproutes: this.httproutes } as Record<string, Map<string, Obj>>)[kind];
    if (!store) return [404, notFound(kind, url.pathname)];
    if (!name && method === "GET") {
      const items = [...store.values()].filter((o) => matches(o.metadata.labels ?? {}, url.searchParams.get("labelSelector")));
      return [200, { kind: `${kindName(kind)}List`, apiVersion: "v1", metadata: { resourceVersion: "183800" }, items }];
    }
    if (!name && method === "POST") {
      if (store.has(body.metadata.name)) return [409, fixture("status-already-exists")];
      const created = merge(fixture(kindName(kind).toLowerCase()), { ...body, metadata: { ...body.metadata, namespace: this.namespace, uid: randomBytes(8).toString("hex"), creationTimestamp: new Date().toISOString() } });
      if (kind === "services" && !body.spec?.selector) created.spec.selector = {};
      store.set(created.metadata.name, created);
      if (kind === "deployments") this.reconcile(created);
      return [201, created];
    }
    const existing = store.get(name);
    if (!existing) return [404, notFound(kind, name)];
    switch (method) {
      case "GET":
        return [200, existing];
      case "PUT":
        store.set(name, { ...body, metadata: { ...existing.metadata, ...body.metadata } });
        return [200, store.get(name)];
      case "PATCH": {
        const patched = merge(existing, sub === "scale" ? { spec: { replicas: body.spec.replicas } } : body);
        store.set(name, patched);
        if (kind === "deployments") this.reconcile(patched);
        if (sub === "scale") return [200, merge(fixture("scale"), { metadata: { name }, spec: { replicas: patched.spec.replicas } })];
        return [200, patched];
      }
      case "DELETE":
        store.delete(name);
        if (kind === "deployments") for (const pod of this.podsOf(existing)) this.terminate(pod);
        return [200, fixture("status-success")];
      default:
        return [405, { kind: "Status", code: 405 }];
    }
  }

  private podsOf(deployment: Obj): Obj[] {
    return [...this.pods.values()].filter((p) => p.metadata.generateName === `${deployment.metadata.name}-7d9f8c6b5-`);
  }

  /** The ReplicaSet's work: as many live Pods as replicas, removing the cheapest (then newest) first. */
  private reconcile(deployment: Obj): void {
    const live = this.podsOf(deployment).filter((p) => !p.metadata.deletionTimestamp);
    const wanted = deployment.spec.replicas ?? 1;
    for (let i = live.length; i < wanted; i++) this.createPod(deployment);
    const cost = (p: Obj) => Number(p.metadata.annotations?.["controller.kubernetes.io/pod-deletion-cost"] ?? 0);
    const surplus = [...live].sort((a, b) => cost(a) - cost(b) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    for (const pod of surplus.slice(0, Math.max(0, live.length - wanted))) this.terminate(pod);
  }

  private createPod(deployment: Obj): void {
    const template = deployment.spec.template;
    const pod = fixture("pod");
    pod.metadata = { ...pod.metadata, name: `${deployment.metadata.name}-7d9f8c6b5-${randomBytes(3).toString("hex").slice(0, 5)}`, generateName: `${deployment.metadata.name}-7d9f8c6b5-`, labels: { ...template.metadata.labels, "pod-template-hash": "7d9f8c6b5" }, annotations: { ...template.metadata.annotations }, creationTimestamp: new Date(Date.now() + this.pods.size).toISOString() };
    pod.spec = { ...pod.spec, containers: template.spec.containers };
    this.pods.set(pod.metadata.name, pod);
    const image: string = template.spec.containers[0]?.image ?? "";
    const timer = setTimeout(() => {
      if (this.pods.get(pod.metadata.name) === pod && !pod.metadata.deletionTimestamp) pod.status = fixture(image.includes("unready") ? "pod-status-unready" : "pod-status-ready");
    }, this.readyAfterMs);
    timer.unref();
  }

  private terminate(pod: Obj): void {
    pod.metadata.deletionTimestamp = new Date().toISOString();
    setTimeout(() => this.pods.delete(pod.metadata.name), 100);
  }
}

function kindName(plural: string): string {
  return { deployments: "Deployment", pods: "Pod", services: "Service", secrets: "Secret", httproutes: "HTTPRoute" }[plural] ?? plural;
}

function notFound(kind: string, name: string) {
  return { ...fixture("status-not-found"), message: `${kind} "${name}" not found`, details: { name, kind } };
}

/** Equality and existence requirements only ("a=b,c"), which is all the target uses. */
function matches(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((part) => {
    const [key, value] = part.split("=");
    return value === undefined ? key in labels : labels[key] === value;
  });
}

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces. */
function merge(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}
