/**
 * Stops a child process of `npm start` cleanly on SIGINT/SIGTERM, and when its
 * parent goes away (the IPC channel closes), so no process outlives Slipway.
 */
export function onShutdown(stop: () => Promise<void>, { graceMs = 10_000 } = {}): void {
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      console.error(`did not stop within ${graceMs} ms after ${reason}; exiting`);
      process.exit(1);
    }, graceMs);
    force.unref();
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  if (process.send) process.on("disconnect", () => shutdown("the parent process ended"));
}
