import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { ownPriority, sessionNice } from "@/server/config/cpu-priority";

/**
 * Starts step processes from a small resident helper instead of from the
 * worker. `spawn()` forks the whole worker: on this kind of machine that
 * blocks Node's only thread for 8-9 ms per step (page tables of a 150 MB
 * process), which both delays each step and caps a busy worker well below
 * 300 steps a second. A Perl process of a few MB forks in about a millisecond,
 * and it keeps one `sh` started ahead, waiting for its script on a pipe, so a
 * step usually starts without an exec of its own. Perl is part of every
 * Debian and most Unix systems; without it the local executor spawns steps
 * itself as before.
 *
 * The helper reads requests (length-prefixed, NUL-separated fields) on its
 * stdin: `run` forks a shell for a step; `go` hands a step's script to the
 * shell started ahead and starts the next one. Every such process connects
 * to the worker's Unix socket and announces its id, makes that connection
 * its stdout and stderr, and starts a session of its own (so the step's
 * processes form one group to kill) whose CPU group keeps the worker's
 * priority (see setSessionPriority); a step gets exactly its environment and
 * working directory. The helper reports `pid`, `warm`, `exit` (the wait
 * status) and `fail` lines on its stdout, exits always after the process
 * they belong to was announced.
 */
const HELPER = String.raw`
use strict; use warnings; use POSIX (); use Socket; use Fcntl;
$| = 1;
my ($socket_path, $script_dir, $session_nice) = @ARGV;
my %step_of;
my %warm;
my $warmed = 0;
# Exits are collected in the main loop, never in a handler: the handler only wakes the loop,
# through a pipe of its own, so an exit that comes while the loop is busy is not missed.
pipe(my $wake_read, my $wake_write) or die "pipe: $!";
fcntl($_, F_SETFL, O_NONBLOCK) for $wake_read, $wake_write;
$SIG{CHLD} = sub { local $!; syswrite($wake_write, 'x'); };
warm_up();
my $buffer = '';
my $watched = '';
vec($watched, fileno(STDIN), 1) = 1;
vec($watched, fileno($wake_read), 1) = 1;
while (1) {
  my $woken = select(my $readable = $watched, undef, undef, 1);
  if ($woken <= 0) { reap(); next; }
  if (vec($readable, fileno($wake_read), 1)) { 1 while sysread($wake_read, my $drained, 512); reap(); }
  next unless vec($readable, fileno(STDIN), 1);
  my $n = sysread(STDIN, $buffer, 65536, length $buffer);
  if (!defined $n) { next if $!{EINTR}; last; }
  last if $n == 0;
  while ($buffer =~ /^(\d+)\n/) {
    my $head = length($1) + 1; my $length = $1;
    last if length($buffer) < $head + $length;
    my ($kind, @fields) = split /\0/, substr($buffer, $head, $length), -1;
    substr($buffer, 0, $head + $length) = '';
    if ($kind eq 'go') { go(@fields) } else { run(@fields) }
  }
}
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $step_of{$pid};
    print "exit $id $?\n" if defined $id;
  }
}
sub connected {
  my ($id) = @_;
  socket(my $out, PF_UNIX, SOCK_STREAM, 0) or return;
  connect($out, pack_sockaddr_un($socket_path)) or return;
  syswrite($out, "$id\n");
  return $out;
}
# Forks a step's process; $announce tells the worker of it (before reap() can report its exit).
sub fork_step {
  my ($id, $out, $in_child, $announce) = @_;
  my $pid = fork();
  if (defined $pid && $pid == 0) {
    POSIX::setsid();
    if ($session_nice && open(my $group, '>', '/proc/self/autogroup')) { print $group $session_nice; close($group); }
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>&', $out); open(STDERR, '>&', $out); close($out);
    $SIG{CHLD} = 'DEFAULT';
    $in_child->();
    POSIX::_exit(127);
  }
  close($out);
  if (defined $pid) { $step_of{$pid} = $id; $announce->($pid); } else { print "fail $id fork: $!\n"; }
}
sub run {
  my ($id, $cwd, $shell, $script, @env) = @_;
  my $out = connected($id) or return print "fail $id connect: $!\n";
  fork_step($id, $out, sub {
    %ENV = map { split /=/, $_, 2 } @env;
    chdir($cwd) or do { syswrite(STDERR, "Slipway could not enter $cwd: $!\n"); POSIX::_exit(1); };
    { no warnings 'exec'; exec { $shell } $shell, '-e', '-c', $script; }
    syswrite(STDERR, "Slipway could not start $shell: $!\n");
  }, sub { print "pid $id $_[0]\n"; });
}
sub warm_up {
  my $id = 'w' . ++$warmed;
  pipe(my $read, my $write) or return;
  my $out = connected($id) or return;
  fork_step($id, $out, sub {
    close($write);
    if (fileno($read) == 3) { fcntl($read, F_SETFD, 0); } else { POSIX::dup2(fileno($read), 3); }
    # ./sh in that folder is a link to /dev/fd/3: the shell's $0, and so its messages, say "sh" as with sh -c.
    chdir($script_dir) or POSIX::_exit(126);
    %ENV = (PATH => $ENV{PATH} // '/usr/bin:/bin');
    { no warnings 'exec'; exec { 'sh' } 'sh', '-e', 'sh'; }
  }, sub { $warm{$id} = $write; print "warm $id $_[0]\n"; });
  close($read);
}
sub go {
  my ($id, $text) = @_;
  my $write = delete $warm{$id} or return print "fail $id that shell is gone\n";
  my $written = 0;
  while ($written < length $text) {
    my $n = syswrite($write, $text, length($text) - $written, $written);
    if (!defined $n) { next if $!{EINTR}; last; }
    $written += $n;
  }
  close($write);
  warm_up();
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

type Connection = { buffered: Buffer[]; ended: boolean };
type WarmShell = { pid?: number; output?: Connection };
/** A step as the launcher starts it: the shell, its script, and exactly its working directory and environment. */
export type StepProcess = { shell: string; script: string; cwd: string; env: Record<string, string> };

/** Names a shell sets or reads for itself: a step whose environment has them gets a shell of its own. */
const SHELL_OWN = new Set(["ENV", "IFS", "OLDPWD", "OPTIND", "PPID", "PS1", "PS2", "PS4", "PWD"]);
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The script goes through a pipe the helper fills in one write: it must fit the pipe (64 KB on Linux). */
const WARM_SCRIPT_LIMIT = 60_000;

/**
 * What a shell started ahead (`sh -e` reading fd 3) is given to become the step: its
 * environment as exports and its working directory, on the script's first line so that
 * line numbers in the shell's messages stay the script's. Null when the step needs a
 * shell of its own: bash, a name `export` cannot take, or a script too long for the pipe.
 */
function warmScript(command: StepProcess): string | null {
  if (command.shell !== "sh") return null;
  const names = Object.keys(command.env);
  if (!names.every((name) => SHELL_NAME.test(name) && !SHELL_OWN.has(name))) return null;
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  const exports = names.length > 0 ? `export ${names.map((name) => `${name}=${quote(command.env[name])}`).join(" ")}; ` : "";
  const cwd = quote(command.cwd);
  const text = `${exports}cd -- ${cwd} 2>/dev/null || { printf 'Slipway could not enter %s\\n' ${cwd} >&2; exit 1; }; ${command.script}\n`;
  return Buffer.byteLength(text) <= WARM_SCRIPT_LIMIT ? text : null;
}

export class StepLauncher {
  private steps = new Map<string, Step>();
  private warmShells = new Map<string, WarmShell>();
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
      this.removeFiles();
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
    // The shells started ahead run ./sh here, which is their script pipe on fd 3.
    const scriptDir = `${socketPath}.d`;
    rmSync(scriptDir, { recursive: true, force: true });
    mkdirSync(scriptDir);
    symlinkSync("/dev/fd/3", path.join(scriptDir, "sh"));
    // Next's types make NODE_ENV mandatory in ProcessEnv; the helper needs only PATH (each step gets its own environment).
    const helper = spawn("perl", ["-e", HELPER, socketPath, scriptDir, String(sessionNice(ownPriority()))], { stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env.PATH } as Record<string, string | undefined> as NodeJS.ProcessEnv });
    const ready = await new Promise<boolean>((resolve) => {
      helper.once("error", () => resolve(false));
      helper.once("spawn", () => resolve(true));
    });
    if (!ready) {
      server.close();
      rmSync(scriptDir, { recursive: true, force: true });
      return null;
    }
    // The worker's exit closes the helper's stdin, which ends it; neither keeps the worker alive.
    helper.unref();
    (helper.stdout as net.Socket).unref();
    (helper.stdin as net.Socket).unref();
    return new StepLauncher(helper, server, socketPath);
  }

  launch(command: StepProcess, onOutput: (chunk: Buffer) => void): LaunchedStep {
    const fields = [command.cwd, command.shell, command.script, ...Object.entries(command.env).map(([k, v]) => `${k}=${v}`)];
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
    const script = warmScript(command);
    const warm = script === null ? undefined : this.takeWarmShell();
    if (warm) {
      this.steps.set(warm.id, step);
      started.resolve(warm.pid);
      for (const chunk of warm.output.buffered.splice(0)) onOutput(chunk);
      step.outputEnded = warm.output.ended;
      this.send(["go", warm.id, script!]);
    } else {
      const id = `s${++this.nextId}`;
      this.steps.set(id, step);
      this.send(["run", id, ...fields]);
    }
    return { started: started.promise, exited: exited.promise };
  }

  private send(fields: string[]) {
    const request = Buffer.from(fields.join("\0"));
    this.helper.stdin!.write(`${request.length}\n`);
    this.helper.stdin!.write(request);
  }

  /** A shell started ahead of its step whose output connection stands, if one is ready. */
  private takeWarmShell(): { id: string; pid: number; output: Connection } | undefined {
    for (const [id, shell] of this.warmShells) {
      if (shell.pid === undefined || !shell.output || shell.output.ended) continue;
      this.warmShells.delete(id);
      return { id, pid: shell.pid, output: shell.output };
    }
    return undefined;
  }

  close(): void {
    this.closing = true;
    this.helper.stdin!.end();
    this.removeFiles();
  }

  private removeFiles() {
    this.server.close();
    rmSync(this.socketPath, { force: true });
    rmSync(`${this.socketPath}.d`, { recursive: true, force: true });
  }

  private report(line: string) {
    const [kind, id, ...rest] = line.split(" ");
    if (kind === "warm") {
      this.warmShell(id).pid = Number(rest[0]);
      return;
    }
    const step = this.steps.get(id);
    if (!step) {
      // A shell that died before it was given a step is no longer offered.
      this.warmShells.delete(id);
      return;
    }
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

  private warmShell(id: string): WarmShell {
    let shell = this.warmShells.get(id);
    if (!shell) this.warmShells.set(id, (shell = {}));
    return shell;
  }

  /**
   * A connection from a step: its first line names the step, the rest is its output. A shell
   * started ahead connects before it has a step: what it prints meanwhile waits for one.
   */
  private attach(socket: net.Socket) {
    let id: string | null = null;
    let head = "";
    const connection: Connection = { buffered: [], ended: false };
    const deliver = (chunk: Buffer) => {
      const step = this.steps.get(id!);
      if (step) step.onOutput(chunk);
      else connection.buffered.push(chunk);
    };
    socket.on("data", (chunk: Buffer) => {
      if (id !== null) return deliver(chunk);
      const newline = chunk.indexOf(10);
      head += chunk.toString("latin1", 0, newline === -1 ? chunk.length : newline);
      if (newline === -1) return;
      id = head;
      if (id.startsWith("w")) this.warmShell(id).output = connection;
      if (newline + 1 < chunk.length) deliver(chunk.subarray(newline + 1));
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      connection.ended = true;
      const step = id === null ? undefined : this.steps.get(id);
      if (!step) return;
      step.outputEnded = true;
      this.settle(id!, step);
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
