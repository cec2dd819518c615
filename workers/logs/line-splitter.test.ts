import { describe, expect, it } from "vitest";
import { LineSplitter, MAX_LINE_CHARS } from "./line-splitter";

function split(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) splitter.write(typeof c === "string" ? Buffer.from(c) : c);
  splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("joins lines split across chunks and handles CRLF", () => {
    expect(split(["hel", "lo\r\nwor", "ld\n", "tail"])).toEqual(["hello", "world", "tail"]);
  });

  it("keeps the last frame of a carriage-return progress line", () => {
    expect(split(["10%\r50%\r100%\n"])).toEqual(["100%"]);
  });

  it("decodes a UTF-8 character split between chunks", () => {
    const bytes = Buffer.from("naïve ✓\n");
    expect(split([bytes.subarray(0, 3), bytes.subarray(3, 8), bytes.subarray(8)])).toEqual(["naïve ✓"]);
  });

  it("survives binary garbage: invalid bytes become replacement characters and NULs vanish", () => {
    const [line] = split([Buffer.from([0xff, 0x00, 0x41, 0xc3, 0x28, 0x0a])]);
    expect(line).toBe("\uFFFDA\uFFFD(");
  });

  it("cuts a 10 MB line and says how much was cut", () => {
    const lines = split(["x".repeat(10 * 1024 * 1024) + "\nnext\n"]);
    expect(lines).toHaveLength(2);
    expect(lines[0].startsWith("x".repeat(MAX_LINE_CHARS))).toBe(true);
    expect(lines[0]).toContain(`[line cut: ${10 * 1024 * 1024 - MAX_LINE_CHARS} more characters]`);
    expect(lines[1]).toBe("next");
  });
});
