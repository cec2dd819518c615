"use client";

import { useEffect, useState } from "react";

/** The line a `#L123` hash points at (0-based), following hash changes such as clicks on line numbers. */
export function useHashLine(): number | null {
  const [line, setLine] = useState<number | null>(null);
  useEffect(() => {
    const read = () => {
      const match = /^#L(\d+)$/.exec(window.location.hash);
      setLine(match ? Math.max(0, Number(match[1]) - 1) : null);
    };
    read();
    window.addEventListener("hashchange", read);
    return () => window.removeEventListener("hashchange", read);
  }, []);
  return line;
}
