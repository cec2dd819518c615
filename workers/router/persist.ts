import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { routeTableSchema, type RouteTable } from "@/server/services/routing";

const fileSchema = z.object({ savedAt: z.string(), table: routeTableSchema });

/** Where the last table read from the database is kept, inside SLIPWAY_DATA_DIR. */
export function routeTableFile(dataDir: string): string {
  return path.join(dataDir, "router", "routes.json");
}

/**
 * The last good route table on disk, so a router that restarts while PostgreSQL is down
 * serves the split it served before instead of nothing. Writes go to a temporary file
 * renamed over the old one, so a crash mid-write leaves the previous table whole.
 */
export class PersistedRouteTable {
  /** The table last read or written, as JSON, to skip writing it again. */
  private lastTable: string | null = null;

  constructor(readonly file: string) {}

  /** The saved table, or null when there is none or it cannot be read (the router then starts empty). */
  async load(): Promise<RouteTable | null> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    const parsed = fileSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      console.error(`ignoring ${this.file}: it does not hold a route table (${parsed.error.issues[0]?.message})`);
      return null;
    }
    this.lastTable = JSON.stringify(parsed.data.table);
    return parsed.data.table;
  }

  /** Writes only when the table changed, since the router re-reads the database every few seconds. */
  async save(table: RouteTable): Promise<void> {
    const comparable = JSON.stringify(table);
    if (comparable === this.lastTable) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ savedAt: new Date().toISOString(), table }, null, 2));
    await rename(temporary, this.file);
    this.lastTable = comparable;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
