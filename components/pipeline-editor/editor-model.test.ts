import { describe, expect, it } from "vitest";
import { current, historyReducer, startHistory } from "./history";
import { NODE_HEIGHT, NODE_WIDTH, placeNewNodes } from "./layout";
import { shellTokens } from "./shell-tokens";
import { validateText } from "./validation";

const snap = (yaml: string) => ({ yaml, positions: {} });

describe("undo history", () => {
  it("merges quick edits of one field into one step and keeps others apart", () => {
    let h = startHistory(snap("a"));
    h = historyReducer(h, { type: "commit", snapshot: snap("ab"), group: "x:name", at: 1000 });
    h = historyReducer(h, { type: "commit", snapshot: snap("abc"), group: "x:name", at: 1500 });
    h = historyReducer(h, { type: "commit", snapshot: snap("abcd"), group: "x:image", at: 1600 });
    expect(h.entries.map((e) => e.yaml)).toEqual(["a", "abc", "abcd"]);
    h = historyReducer(h, { type: "undo" });
    expect(current(h).yaml).toBe("abc");
    h = historyReducer(h, { type: "commit", snapshot: snap("new"), at: 1700 });
    expect(h.entries.map((e) => e.yaml)).toEqual(["a", "abc", "new"]);
    expect(historyReducer(h, { type: "redo" })).toBe(h);
  });
});

describe("placeNewNodes", () => {
  it("lays out everything when nothing is placed, left to right along needs", async () => {
    const laid = await placeNewNodes(["a", "b"], [{ source: "a", target: "b" }], {});
    expect(laid!.b.x).toBeGreaterThan(laid!.a.x);
  });

  it("leaves placed nodes alone and puts a new one beside its neighbour without overlapping", async () => {
    const placed = { a: { x: 500, y: 300 }, b: { x: 900, y: 300 } };
    const edges = [
      { source: "a", target: "b" },
      { source: "a", target: "c" },
    ];
    const fresh = await placeNewNodes(["a", "b", "c"], edges, placed);
    expect(Object.keys(fresh!)).toEqual(["c"]);
    const c = fresh!.c;
    expect(c.x).toBeGreaterThan(placed.a.x);
    const overlaps = (p: { x: number; y: number }) => Math.abs(p.x - c.x) < NODE_WIDTH && Math.abs(p.y - c.y) < NODE_HEIGHT;
    expect(Object.values(placed).some(overlaps)).toBe(false);
    expect(await placeNewNodes(["a", "b"], edges, placed)).toBeNull();
  });
});

describe("shellTokens", () => {
  it("colours comments, strings, variables, expressions and keywords, and loses no text", () => {
    const script = 'if [ -n "$X" ]; then echo ${{ inputs.v }} $HOME; fi # done';
    const tokens = shellTokens(script);
    expect(tokens.map((t) => t.text).join("")).toBe(script);
    const kinds = Object.fromEntries(tokens.filter((t) => t.kind !== "plain").map((t) => [t.text, t.kind]));
    expect(kinds).toMatchObject({ if: "keyword", '"$X"': "string", "${{ inputs.v }}": "expression", $HOME: "variable", "# done": "comment" });
  });
});

describe("placeNewNodes without ELK", () => {
  it("puts new jobs with no needs below the others, each in a free spot", async () => {
    const placed = { a: { x: 100, y: 0 }, b: { x: 500, y: 200 } };
    const fresh = await placeNewNodes(["a", "b", "c", "d"], [{ source: "a", target: "b" }], placed);
    expect(fresh).toEqual({ c: { x: 100, y: 200 + NODE_HEIGHT + 48 }, d: { x: 100, y: 200 + 2 * NODE_HEIGHT + 72 } });
  });
});

describe("validateText", () => {
  it("lists a pipeline's errors, and nothing for an empty text", () => {
    expect(validateText("on: push\njobs:\n  a:\n    needs: [ghost]\n    steps: [{ run: x }]\n").map((d) => d.severity)).toContain("error");
    expect(validateText("  \n")).toEqual([]);
  });
});
