import { Writable, type Readable } from "node:stream";
import type Docker from "dockerode";
import { Parser, type ReadEntry } from "tar";
import { rootfsTar } from "../docker-images";
import type { ExecIo, FakeKubelet, PodOutcome } from "./fake-kube-api";

/** What the fake API server's Pods run on: a Docker container each, or a script. */

/** Each Pod is a real container (no registry: an image missing locally is an ImagePullBackOff). */
export function dockerKubelet(docker: Docker): FakeKubelet {
  const containers = new Map<string, Docker.Container>();
  return {
    async start(pod) {
      const spec = pod.spec!.containers[0];
      const present = await docker
        .getImage(spec.image!)
        .inspect()
        .then(() => true, () => false);
      if (!present) return "image-pull-backoff";
      const container = await docker.createContainer({
        Image: spec.image,
        Entrypoint: [],
        Cmd: spec.command,
        WorkingDir: spec.workingDir,
        Labels: { "slipway-fake-kubelet.pod": pod.metadata!.name! },
        // The emptyDir: an anonymous volume, gone with the container.
        Volumes: { "/workspace": {} },
        HostConfig: { NetworkMode: "none" },
      });
      containers.set(pod.metadata!.name!, container);
      await container.start();
      return "running";
    },
    async exec(pod, command, io) {
      const container = containers.get(pod.metadata!.name!);
      if (!container) throw new Error('container not found ("job")');
      const exec = await container.exec({ Cmd: command, AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: true });
      io.stdin.pipe(stream);
      docker.modem.demuxStream(stream, sink(io.stdout), sink(io.stderr));
      await new Promise<void>((resolve) => {
        stream.once("end", resolve);
        stream.once("close", resolve);
        stream.once("error", () => resolve());
      });
      io.stdin.unpipe(stream);
      for (;;) {
        const info = await exec.inspect();
        if (!info.Running && info.ExitCode !== null) return info.ExitCode;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async remove(pod) {
      const container = containers.get(pod.metadata!.name!);
      containers.delete(pod.metadata!.name!);
      await container?.remove({ force: true, v: true }).catch(() => undefined);
    },
  };
}

export type ScriptedStep = { shell: string; script: string; env: string };
export type ScriptedReply = { stdout?: string; stderr?: string; exitCode: number };

/**
 * Understands the executor's three commands (copy in, step, copy out) and lets
 * the test answer steps. The Pod's workspace is whatever was last copied in.
 */
export function scriptedKubelet(onStep: (step: ScriptedStep) => ScriptedReply | Promise<ScriptedReply>, outcome: PodOutcome = "running"): FakeKubelet & { steps: ScriptedStep[] } {
  // What `tar -c -C /workspace .` prints for an empty folder: the "./" entry, then the end of the archive.
  const root = rootfsTar([{ type: "dir", path: "." }]).subarray(0, 512);
  let workspace: Buffer = Buffer.alloc(1024);
  const steps: ScriptedStep[] = [];
  return {
    steps,
    async start(pod) {
      return pod.spec!.containers[0].image!.startsWith("registry.invalid/") ? "image-pull-backoff" : outcome;
    },
    async exec(_pod, command, io: ExecIo) {
      if (command[0] === "tar" && command[1] === "-c") {
        io.stdout(Buffer.concat([root, workspace]));
        return 0;
      }
      if (command[0] === "sh" && command[3] === "slipway-copy-in") {
        workspace = await readExactly(io.stdin, Number(command[4]));
        return 0;
      }
      if (command[0] === "sh" && command[2]?.includes(".slipway-step;")) {
        const files = await untar(await readExactly(io.stdin, Number(command[4])));
        const step = { shell: command[3], script: files.script ?? "", env: files.env ?? "" };
        steps.push(step);
        const reply = await onStep(step);
        if (reply.stdout) io.stdout(Buffer.from(reply.stdout));
        if (reply.stderr) io.stderr(Buffer.from(reply.stderr));
        return reply.exitCode;
      }
      io.stderr(Buffer.from(`scripted kubelet: no answer for ${JSON.stringify(command)}\n`));
      return 127;
    },
    async remove() {},
  };
}

function sink(write: (chunk: Buffer) => void) {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      write(chunk);
      done();
    },
  });
}

/** Like `head -c n`: takes n bytes and leaves the stream open, as the executor never ends stdin. */
function readExactly(stream: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) {
        stream.off("data", onData);
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    stream.on("data", onData);
    stream.once("end", () => (size < n ? reject(new Error(`stdin ended after ${size} of ${n} bytes`)) : undefined));
  });
}

function untar(archive: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const files: Record<string, string> = {};
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => (files[entry.path] = Buffer.concat(chunks).toString("utf8")));
      },
    });
    parser.on("end", () => resolve(files));
    parser.on("error", reject);
    parser.end(archive);
  });
}
