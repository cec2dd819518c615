import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isAlive } from "../config/pid";

export class AlreadyRunningError extends Error {}

/**
 * One Slipway per data folder: the lock file holds the owner's pid. A lock
 * left by a process that no longer exists (killed with SIGKILL) is taken over.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "slipway.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => {
        try {
          if (readFileSync(file, "utf8") === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(file, "utf8"));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new AlreadyRunningError(
          `Slipway is already running on ${dataDir} (process ${owner}); stop it first, or set SLIPWAY_DATA_DIR to another folder.`,
        );
      }
      unlinkSync(file);
    }
  }
  throw new AlreadyRunningError(`Another Slipway is starting on ${dataDir} at this moment; try again.`);
}
