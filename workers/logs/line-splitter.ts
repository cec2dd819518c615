import { StringDecoder } from "node:string_decoder";

export const MAX_LINE_CHARS = 16_384;

/**
 * Turns a step's output bytes into lines: splits on \n (and \r\n), keeps only
 * the last frame of \r-redrawn progress lines, decodes UTF-8 across chunk
 * boundaries (invalid bytes become U+FFFD), drops NULs and cuts lines longer
 * than MAX_LINE_CHARS, so a 10 MB line or binary garbage cannot clog a log.
 */
export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private partial = "";
  private truncatedBy = 0;

  constructor(private readonly emit: (line: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let start = 0;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", start)) {
      this.append(text.slice(start, i));
      this.flushLine();
      start = i + 1;
    }
    this.append(text.slice(start));
  }

  end(): void {
    this.append(this.decoder.end());
    if (this.partial.length > 0 || this.truncatedBy > 0) this.flushLine();
  }

  private append(piece: string) {
    if (piece.length === 0) return;
    const room = MAX_LINE_CHARS - this.partial.length;
    if (piece.length > room) {
      this.truncatedBy += piece.length - Math.max(room, 0);
      if (room > 0) this.partial += piece.slice(0, room);
    } else this.partial += piece;
  }

  private flushLine() {
    let line = this.partial;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const cr = line.lastIndexOf("\r");
    if (cr !== -1) line = line.slice(cr + 1);
    line = line.replace(/\0/g, "");
    if (this.truncatedBy > 0) line += ` … [line cut: ${this.truncatedBy} more characters]`;
    this.partial = "";
    this.truncatedBy = 0;
    this.emit(line);
  }
}
