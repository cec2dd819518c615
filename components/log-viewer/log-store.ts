/**
 * A job's log in the browser: plain arrays, not React state per line, so a
 * million lines cost two arrays and appending 10,000 lines a second is a
 * push per line. Subscribers hear about changes at most once per animation
 * frame, so React renders once per frame however fast lines arrive.
 */

export type StreamLine = { n: number; at: number; text: string };
export type Connection = "connecting" | "live" | "reconnecting" | "ended" | "failed";

export class LogStore {
  readonly texts: string[] = [];
  readonly times: number[] = [];
  /** Longest line seen, in characters, to size the horizontal scroll. */
  widest = 0;
  connection: Connection = "connecting";
  /** The job's status once the stream said it ended. */
  endStatus: string | null = null;
  /** Why the log could not be opened or stopped, for people. */
  problem: string | null = null;
  /** Bumped once per frame in which anything changed; React reads it as the store's snapshot. */
  version = 0;
  private listeners = new Set<() => void>();
  private frame: number | null = null;

  get length(): number {
    return this.texts.length;
  }

  /** Adds lines in order; lines already held (a reconnect replays from its last id) are skipped. */
  append(lines: readonly StreamLine[]): void {
    for (const line of lines) {
      if (line.n < this.texts.length) continue;
      // The server sends lines without gaps; were one to appear, keep numbering true with empty lines.
      while (this.texts.length < line.n) {
        this.texts.push("");
        this.times.push(line.at);
      }
      this.texts.push(line.text);
      this.times.push(line.at);
      if (line.text.length > this.widest) this.widest = line.text.length;
    }
    this.changed();
  }

  setConnection(connection: Connection, details: { endStatus?: string; problem?: string } = {}): void {
    const endStatus = details.endStatus ?? this.endStatus;
    const problem = details.problem ?? (connection === "failed" ? this.problem : null);
    if (this.connection === connection && this.endStatus === endStatus && this.problem === problem) return;
    this.connection = connection;
    this.endStatus = endStatus;
    this.problem = problem;
    this.changed();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    if (this.frame !== null) return;
    const flush = () => {
      this.frame = null;
      this.version++;
      for (const fn of this.listeners) fn();
    };
    // Background tabs get no animation frames: the lines wait in the arrays and show in one render on return.
    this.frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(flush) : (setTimeout(flush, 16) as unknown as number);
  }
}
