"use client";

import { useEffect } from "react";

export const LEAVE_QUESTION = "You have unsaved changes to the pipeline. Leave without saving them?";

/**
 * Asks before unsaved work is lost: the browser's own prompt for reloads,
 * closing the tab and typed addresses; a confirm for links inside Slipway,
 * which the App Router follows without unloading the page.
 */
export function useUnsavedGuard(dirty: boolean) {
  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the prompt only when returnValue is set.
      event.returnValue = "";
    };
    const click = (event: MouseEvent) => {
      const link = (event.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!link || link.target === "_blank" || link.hasAttribute("download") || event.button !== 0 || event.metaKey || event.ctrlKey) return;
      const url = new URL(link.href, window.location.href);
      if (url.origin !== window.location.origin || (url.pathname === window.location.pathname && url.search === window.location.search)) return;
      if (window.confirm(LEAVE_QUESTION)) return;
      // Capture phase on the document runs before React's handler on its root, so the Link never sees the click.
      event.preventDefault();
      event.stopPropagation();
    };
    window.addEventListener("beforeunload", beforeUnload);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      document.removeEventListener("click", click, true);
    };
  }, [dirty]);
}
