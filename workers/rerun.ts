/**
 * Runs `task` one at a time. A call while it runs asks for one more run after it (what woke
 * the caller may have come too late for the run in progress); calls meanwhile share that run.
 * `idle` resolves when nothing runs. Errors go to `onError`: a wake-up never throws.
 */
export function rerunning(task: () => Promise<void>, { onError, stopped }: { onError: (error: Error) => void; stopped: () => boolean }) {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await task();
      } while (again && !stopped());
    })()
      .catch(onError)
      .finally(() => (running = null));
    return running;
  };
  return { run, idle: () => running ?? Promise.resolve() };
}
