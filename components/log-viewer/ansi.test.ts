import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "./ansi";

const E = "\x1b[";

describe("parseAnsi", () => {
  it("keeps plain text as one unstyled segment", () => {
    expect(parseAnsi("hello")).toEqual([{ text: "hello", style: {} }]);
    expect(parseAnsi("")).toEqual([]);
  });

  it("reads the 16 named colours, bold and reset", () => {
    expect(parseAnsi(`${E}1;31mERR${E}0m ok ${E}92mgreen${E}39m`)).toEqual([
      { text: "ERR", style: { bold: true, fg: 1 } },
      { text: " ok ", style: {} },
      { text: "green", style: { fg: 10 } },
    ]);
  });

  it("reads 256-colour and truecolor foregrounds and backgrounds", () => {
    expect(parseAnsi(`${E}38;5;196mred${E}48;2;0;128;255mblue bg`)).toEqual([
      { text: "red", style: { fg: "rgb(255, 0, 0)" } },
      { text: "blue bg", style: { fg: "rgb(255, 0, 0)", bg: "rgb(0, 128, 255)" } },
    ]);
    expect(parseAnsi(`${E}38;5;244mgrey`)[0].style.fg).toBe("rgb(128, 128, 128)");
    expect(parseAnsi(`${E}38;5;3myellow`)[0].style.fg).toBe(3);
  });

  it("turns italic and underline on and off", () => {
    expect(parseAnsi(`${E}3;4mboth${E}23monly underline${E}24mnone`)).toEqual([
      { text: "both", style: { italic: true, underline: true } },
      { text: "only underline", style: { underline: true } },
      { text: "none", style: {} },
    ]);
  });

  it("drops cursor and OSC escapes, and shows what a carriage return leaves on the line", () => {
    expect(stripAnsi(`${E}2K${E}1Gdownloading 10%\rdownloading 100%`)).toBe("downloading 100%");
    expect(stripAnsi("\x1b]0;title\x07done\r")).toBe("done");
    expect(stripAnsi(`\x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\`)).toBe("link");
  });

  it("survives truncated escapes without throwing", () => {
    expect(stripAnsi(`text${E}38;5m`)).toBe("text");
    expect(stripAnsi(`text\x1b`)).toBe("text\x1b");
  });
});
