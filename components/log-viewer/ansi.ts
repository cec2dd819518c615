/**
 * A small parser for the ANSI escapes build tools print: SGR colours (the 16
 * named ones as classes so the palette follows the theme, 256-colour and
 * truecolor as RGB), bold, dim, italic, underline, strikethrough and inverse.
 * Other escapes (cursor moves, erase line, OSC titles and links) are dropped;
 * a carriage return starts the line again, as a terminal shows progress bars.
 * No library in node_modules parses ANSI (only ansi-regex/strip-ansi, which remove it).
 */

export type AnsiStyle = {
  /** 0-15 for the named colours, or an "rgb(…)" string. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strike?: boolean;
  inverse?: boolean;
};

export type AnsiSegment = { text: string; style: AnsiStyle };

// CSI (ESC [ params final), OSC (ESC ] … BEL or ESC \), and two-character escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;:?<=>]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\r/g;

export function hasAnsi(text: string): boolean {
  return text.includes("\x1b") || text.includes("\r");
}

/** The text without escapes, as people read it (for search, copying and width). */
export function stripAnsi(text: string): string {
  if (!hasAnsi(text)) return text;
  return parseAnsi(text)
    .map((s) => s.text)
    .join("");
}

export function parseAnsi(text: string): AnsiSegment[] {
  if (!hasAnsi(text)) return text ? [{ text, style: {} }] : [];
  let segments: AnsiSegment[] = [];
  let style: AnsiStyle = {};
  let last = 0;
  const push = (to: number) => {
    if (to > last) segments.push({ text: text.slice(last, to), style });
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(text); m; m = ESCAPE.exec(text)) {
    push(m.index);
    last = ESCAPE.lastIndex;
    if (m[0] === "\r") {
      // A lone trailing \r (CRLF output) changes nothing; one before more text overwrites the line.
      if (last < text.length) segments = [];
    } else if (m[2] === "m") {
      style = applySgr(style, m[1]);
    }
  }
  push(text.length);
  return segments;
}

function applySgr(current: AnsiStyle, params: string): AnsiStyle {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let style = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) style = {};
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 7) style.inverse = true;
    else if (code === 9) style.strike = true;
    else if (code === 22) style.bold = style.dim = undefined;
    else if (code === 23) style.italic = undefined;
    else if (code === 24) style.underline = undefined;
    else if (code === 27) style.inverse = undefined;
    else if (code === 29) style.strike = undefined;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code === 39) style.fg = undefined;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code === 49) style.bg = undefined;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 38 || code === 48) {
      const [colour, used] = extendedColour(codes, i + 1);
      i += used;
      if (code === 38) style.fg = colour;
      else style.bg = colour;
    }
  }
  return style;
}

/** `5;n` (256 colours) or `2;r;g;b` (truecolor) after 38/48; returns the colour and how many codes it used. */
function extendedColour(codes: number[], at: number): [number | string | undefined, number] {
  if (codes[at] === 5) return [colour256(codes[at + 1] ?? 0), 2];
  if (codes[at] === 2) return [rgb(codes[at + 1], codes[at + 2], codes[at + 3]), 4];
  return [undefined, 0];
}

function colour256(n: number): number | string {
  if (n < 16) return n;
  if (n < 232) {
    const v = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return rgb(v[Math.floor(i / 36)], v[Math.floor(i / 6) % 6], v[i % 6]);
  }
  const grey = 8 + (n - 232) * 10;
  return rgb(grey, grey, grey);
}

const clamp = (v: number | undefined) => Math.max(0, Math.min(255, Math.round(v ?? 0)));
const rgb = (r?: number, g?: number, b?: number) => `rgb(${clamp(r)}, ${clamp(g)}, ${clamp(b)})`;
