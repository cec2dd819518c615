import { describe, expect, it } from "vitest";
import { diffLines } from "./line-diff";

const render = (before: string, after: string) =>
  diffLines(before, after)
    .map((l) => ({ same: " ", added: "+", removed: "-" })[l.kind] + l.text)
    .join("\n");

describe("diffLines", () => {
  it("marks only the changed lines", () => {
    expect(render("a\nb\nc", "a\nB\nc")).toBe(" a\n-b\n+B\n c");
  });

  it("finds insertions and deletions inside long runs of equal lines", () => {
    expect(render("x\na\nb\nc\ny", "x\na\nc\nd\ny")).toBe(" x\n a\n-b\n c\n+d\n y");
  });

  it("numbers lines on both sides", () => {
    const diff = diffLines("a\nb", "z\na\nb");
    expect(diff[0]).toEqual({ kind: "added", text: "z", newLine: 1 });
    expect(diff[2]).toEqual({ kind: "same", text: "b", oldLine: 2, newLine: 3 });
  });

  it("returns every line as same for equal texts", () => {
    expect(diffLines("a\nb", "a\nb").every((l) => l.kind === "same")).toBe(true);
  });
});
