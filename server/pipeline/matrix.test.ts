import { describe, expect, it } from "vitest";
import { expandMatrix, matrixCount } from "./matrix";
import type { Matrix } from "./model";

const matrix = (m: Partial<Matrix>): Matrix => ({ axes: {}, include: [], exclude: [], ...m });

describe("expandMatrix", () => {
  it("builds the product with the first key varying slowest", () => {
    expect(expandMatrix(matrix({ axes: { os: ["linux", "mac"], node: [18, 20] } }))).toEqual([
      { os: "linux", node: 18 },
      { os: "linux", node: 20 },
      { os: "mac", node: 18 },
      { os: "mac", node: 20 },
    ]);
  });

  it("drops every combination an exclude entry partially matches", () => {
    const axes = { os: ["linux", "mac"], node: [18, 20], arch: ["x64", "arm"] };
    const combinations = expandMatrix(matrix({ axes, exclude: [{ os: "mac", node: 18 }, { arch: "arm", os: "linux" }] }));
    expect(combinations).toEqual([
      { os: "linux", node: 18, arch: "x64" },
      { os: "linux", node: 20, arch: "x64" },
      { os: "mac", node: 20, arch: "x64" },
      { os: "mac", node: 20, arch: "arm" },
    ]);
  });

  it("merges an include entry into the combinations it does not contradict", () => {
    const combinations = expandMatrix(
      matrix({ axes: { os: ["linux", "mac"], node: [18, 20] }, include: [{ os: "mac", experimental: true }] }),
    );
    expect(combinations.filter((c) => c.experimental)).toEqual([
      { os: "mac", node: 18, experimental: true },
      { os: "mac", node: 20, experimental: true },
    ]);
    expect(combinations).toHaveLength(4);
  });

  it("adds an include entry that contradicts every combination as a new one", () => {
    const combinations = expandMatrix(matrix({ axes: { node: [18, 20] }, include: [{ node: 22, os: "windows" }] }));
    expect(combinations).toEqual([{ node: 18 }, { node: 20 }, { node: 22, os: "windows" }]);
  });

  it("lets a later include overwrite what an earlier include added, never an original value", () => {
    const combinations = expandMatrix(
      matrix({
        axes: { node: [18, 20] },
        include: [{ npm: 9 }, { node: 20, npm: 10 }],
      }),
    );
    expect(combinations).toEqual([
      { node: 18, npm: 9 },
      { node: 20, npm: 10 },
    ]);
  });

  it("makes one combination per include entry when there are no keys", () => {
    expect(expandMatrix(matrix({ include: [{ a: 1 }, { a: 2 }, { a: 1 }] }))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("compares object values by content", () => {
    const axes = { cfg: [{ v: 1 }, { v: 2 }] };
    expect(expandMatrix(matrix({ axes, exclude: [{ cfg: { v: 1 } }] }))).toEqual([{ cfg: { v: 2 } }]);
  });
});

describe("matrixCount", () => {
  it("counts exactly after exclude and include", () => {
    expect(matrixCount(matrix({ axes: { a: [1, 2, 3] }, exclude: [{ a: 2 }], include: [{ a: 9 }] }))).toEqual({
      count: 3,
      exact: true,
    });
  });

  it("does not expand a product past the ceiling", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    expect(matrixCount(matrix({ axes: { a: values, b: values, c: values } }))).toEqual({ count: 1e9, exact: false });
  });
});
