"use client";

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";

/**
 * Browsers cap how tall an element may be (Firefox near 17.9 million px), so
 * past this height the spacer stops growing and scroll positions are scaled.
 */
const MAX_SPACER_PX = 8_000_000;

/**
 * Virtual rows of a fixed height in a scrolling element: only the rows in
 * view (plus `overscan` either side) are rendered, each positioned inside a
 * spacer as tall as all of them, so a million lines cost a few dozen nodes.
 */
export function useVirtualRows(ref: RefObject<HTMLElement | null>, count: number, rowHeight: number, overscan = 15) {
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(480);
  /** Where this hook last scrolled to, so scroll events it caused can be told from the person's. */
  const ownTop = useRef<number | null>(null);
  const lastReal = useRef(0);
  const lastScale = useRef(1);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);

  const total = count * rowHeight;
  const height = Math.min(total, MAX_SPACER_PX);
  const maxScroll = Math.max(0, height - viewport);
  const scale = maxScroll > 0 ? Math.max(0, total - viewport) / maxScroll : 1;
  const top = Math.min(scrollTop, maxScroll);
  const real = top * scale;
  const first = Math.max(0, Math.floor(real / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((real + viewport) / rowHeight) + overscan);

  const scrollTo = useCallback(
    (value: number) => {
      const el = ref.current;
      if (!el) return;
      // Clamped here rather than read back from the element, which would force a second layout per frame.
      const clamped = Math.round(Math.max(0, Math.min(value, maxScroll)));
      el.scrollTop = clamped;
      ownTop.current = clamped;
      setScrollTop(clamped);
    },
    [ref, maxScroll],
  );

  // With scaled positions, a growing log would move the rows under a still scrollbar: keep the same line in view.
  useLayoutEffect(() => {
    if (scale !== lastScale.current) scrollTo(lastReal.current / scale);
    lastScale.current = scale;
    lastReal.current = Math.min(scrollTop, maxScroll) * scale;
  });

  /** Reads the scroll position after a scroll event; true when the person scrolled, false when this hook did. */
  const onScroll = useCallback((): boolean => {
    const el = ref.current;
    if (!el) return false;
    setScrollTop(el.scrollTop);
    const own = ownTop.current !== null && Math.abs(el.scrollTop - ownTop.current) < 1;
    ownTop.current = null;
    return !own;
  }, [ref]);

  const scrollToIndex = useCallback(
    (index: number) => {
      const el = ref.current;
      if (el) scrollTo(Math.max(0, index * rowHeight - el.clientHeight / 2 + rowHeight / 2) / scale);
    },
    [ref, rowHeight, scale, scrollTo],
  );

  const scrollToEnd = useCallback(() => scrollTo(height), [scrollTo, height]);

  /** Where row `index` sits inside the spacer. */
  const offsetOf = (index: number) => top + index * rowHeight - real;

  return { first, last, height, offsetOf, onScroll, scrollToIndex, scrollToEnd, atEnd: top >= maxScroll - rowHeight };
}
