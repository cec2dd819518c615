import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";

/**
 * Starts step processes from a small resident helper instead of from the
 * worker. `spawn()` forks the whole worker: on this kind of machine that
 * blocks Node's only thread for 8-9 ms per step (page tables of a 150 MB
 * process), which both delays each step and caps a busy worker well below
 * 300 steps a second. A Perl process of a few MB forks in about a millisecond.
 * Perl is part of every Debian and most Unix systems; without it the local
 * executor spawns steps itself as before.
 *
 * The helper reads requests (length-prefixed, NUL-separated fields) on its
 * stdin. For each it connects to the worker's Unix socket and announces the
 * step's id, forks, and the child makes that connection its stdout and
 * stderr, starts a session of its own (so the step's processes form one
 * group to kill), takes exactly the step's environment and working
 * directory, and execs the shell. The helper reports `pid`, `exit` (the
 * wait status) or `fail` lines on its stdout. SIGCHLD is blocked around the
 * fork so an exit is never reported before the pid it belongs to is known.
 */
const HELPER = String.raw`
use strict; use warnings; use POSIX (); use Socket;
$| = 1;
my $socket_path = $ARGV[0];
my %step_of;
my $chld = POSIX::SigSet->new(POSIX::SIGCHLD());
$SIG{CHLD} = sub {
  # The read loop below looks at $! after an interrupted read: waitpid must not change it.
  local ($!, $?);
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $step_of{$pid};
    print "exit $id $?\n" if defined $id;
  }
};
my $buffer = '';
while (1) {
  my $n = sysread(STDIN, $buffer, 65536, length $buffer);
  if (!defined $n) { next if $!{EINTR}; last; }
  last if $n == 0;
  while ($buffer =~ /^(\d+)\n/) {
    my $head = length($1) + 1; my $length = $1;
    last if length($buffer) < $head + $length;
    my $request = substr($buffer, $head, $length);
    substr($buffer, 0, $head + $length) = '';
    start(split /\0/, $request, -1);
  }
}
sub start {
  my ($id, $cwd, $shell, $script, @env) = @_;
  socket(my $out, PF_UNIX, SOCK_STREAM, 0) or return print "fail $id socket: $!\n";
  connect($out, pack_sockaddr_un($socket_path)) or return print "fail $id connect: $!\n";
  syswrite($out, "$id\n");
  POSIX::sigprocmask(POSIX::SIG_BLOCK(), $chld);
  my $pid = fork();
  if (defined $pid && $pid == 0) {
    POSIX::setsid();
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>&', $out); open(STDERR, '>&', $out); close($out);
    $SIG{CHLD} = 'DEFAULT';
    POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $chld);
    %ENV = map { split /=/, $_, 2 } @env;
    chdir($cwd) or do { syswrite(STDERR, "Slipway could not enter $cwd: $!\n"); POSIX::_exit(1); };
    { no warnings 'exec'; exec { $shell } $shell, '-e', '-c', $script; }
    syswrite(STDERR, "Slipway could not start $shell: $!\n");
    POSIX::_exit(127);
  }
  close($out);
  if (defined $pid) { $step_of{$pid} = $id; print "pid $id $pid\n"; } else { print "fail $id fork: $!\n"; }
  POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $chld);
}
`;

export type LaunchedStep = {
  /** The step's process group (its pid): kill it to stop everything the step started. */
  started: Promise<number>;
  /** Resolves once the step exited and its output was read to the end. */
  exited: Promise<{ exitCode: number }>;
};

type Step = {
  onOutput: (chunk: Buffer) => void;
  resolveStarted: (pid: number) => void;
  resolveExited: (outcome: { exitCode: number }) => void;
  reject: (error: Error) => void;
  exitCode?: number;
  outputEnded: boolean;
};

export class StepLauncher {
  private steps = new Map<string, Step>();
  private nextId = 0;
  /** False once the helper is gone: the executor then starts another. */
  alive = true;
  private closing = false;

  private constructor(
    private readonly helper: ChildProcess,
    private readonly server: net.Server,
    private readonly socketPath: string,
  ) {
    helper.stdin!.on("error", () => undefined);
    readline.createInterface({ input: helper.stdout! }).on("line", (line) => this.report(line));
    helper.once("exit", (code, signal) => {
      if (!this.closing) console.error(`local executor: the process that starts steps stopped (${signal ?? `exit ${code}`}); the next step starts another`);
      this.alive = false;
      this.server.close();
      rmSync(this.socketPath, { force: true });
      for (const [id, step] of this.steps) {
        if (step.exitCode === undefined) step.reject(new Error("the process that starts steps stopped; the step's outcome is unknown"));
        this.steps.delete(id);
      }
    });
    server.on("connection", (socket) => this.attach(socket));
  }

  /** A launcher whose helper runs, or null where it cannot (no perl, a socket path too long): then steps are spawned directly. */
  static async start(socketPath: string): Promise<StepLauncher | null> {
    if (Buffer.byteLength(socketPath) > 100) return null;
    rmSync(socketPath, { force: true });
    const server = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socketPath, resolve));
    } catch {
      return null;
    }
    server.unref();
    // Next's types make NODE_ENV mandatory in ProcessEnv; the helper needs only PATH (each step gets its own environment).
    const helper = spawn("perl", ["-e", HELPER, socketPath], { stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env.PATH } as Record<string, string | undefined> as NodeJS.ProcessEnv });
    const ready = await new Promise<boolean>((resolve) => {
      helper.once("error", () => resolve(false));
      helper.once("spawn", () => resolve(true));
    });
    if (!ready) {
      server.close();
      return null;
    }
    // The worker's exit closes the helper's stdin, which ends it; neither keeps the worker alive.
    helper.unref();
    (helper.stdout as net.Socket).unref();
    (helper.stdin as net.Socket).unref();
    return new StepLauncher(helper, server, socketPath);
  }

  launch(command: { shell: string; script: string; cwd: string; env: Record<string, string> }, onOutput: (chunk: Buffer) => void): LaunchedStep {
    const id = String(++this.nextId);
    const fields = [id, command.cwd, command.shell, command.script, ...Object.entries(command.env).map(([k, v]) => `${k}=${v}`)];
    if (fields.some((f) => f.includes("\0"))) throw new Error("A step's script and environment cannot contain NUL characters.");
    const started = deferred<number>();
    const exited = deferred<{ exitCode: number }>();
    // Nobody may wait on `started` (a step that fails at once): its rejection is reported through `exited`.
    started.promise.catch(() => undefined);
    const step: Step = {
      onOutput,
      resolveStarted: started.resolve,
      resolveExited: exited.resolve,
      reject: (error) => {
        started.reject(error);
        exited.reject(error);
      },
      outputEnded: false,
    };
    this.steps.set(id, step);
    const request = Buffer.from(fields.join("\0"));
    this.helper.stdin!.write(`${request.length}\n`);
    this.helper.stdin!.write(request);
    return { started: started.promise, exited: exited.promise };
  }

  close(): void {
    this.closing = true;
    this.helper.stdin!.end();
    this.server.close();
    rmSync(this.socketPath, { force: true });
  }

  private report(line: string) {
    const [kind, id, ...rest] = line.split(" ");
    const step = this.steps.get(id);
    if (!step) return;
    if (kind === "pid") step.resolveStarted(Number(rest[0]));
    else if (kind === "exit") {
      const status = Number(rest[0]);
      // A wait status: the low 7 bits name a killing signal, else the exit code is in the next byte.
      step.exitCode = status & 0x7f ? 128 + (status & 0x7f) : status >> 8;
      this.settle(id, step);
    } else if (kind === "fail") {
      this.steps.delete(id);
      step.reject(new Error(`could not start the step: ${rest.join(" ")}`));
    }
  }

  /** A connection from a step: its first line names the step, the rest is its output. */
  private attach(socket: net.Socket) {
    let step: Step | undefined;
    let id = "";
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      if (step) return step.onOutput(chunk);
      const newline = chunk.indexOf(10);
      head += chunk.toString("latin1", 0, newline === -1 ? chunk.length : newline);
      if (newline === -1) return;
      id = head;
      step = this.steps.get(id);
      if (step && newline + 1 < chunk.length) step.onOutput(chunk.subarray(newline + 1));
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (!step) return;
      step.outputEnded = true;
      this.settle(id, step);
    });
  }

  private settle(id: string, step: Step) {
    if (step.exitCode === undefined || !step.outputEnded) return;
    this.steps.delete(id);
    step.resolveExited({ exitCode: step.exitCode });
  }
}

/** Promise.withResolvers, which Node 20 lacks. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

let launchers = 0;

/** Where a launcher listens: in the worker's state folder, one socket per launcher (a test process may run several workers). */
export function launcherSocketPath(stateDir: string): string {
  return path.join(stateDir, `launcher-${process.pid}-${++launchers}.sock`);
}
