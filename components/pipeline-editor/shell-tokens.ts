export type Token = { text: string; kind: "plain" | "comment" | "string" | "variable" | "expression" | "keyword" | "operator" };

const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in", "function", "return", "export", "set", "local"]);

// Order matters: an expression `${{ }}` before a variable `${x}`, a comment only where a word could start.
const PATTERN =
  /(\$\{\{[\s\S]*?\}\})|((?:^|(?<=\s))#.*$)|("(?:[^"\\]|\\.)*"?|'[^']*'?)|(\$\{[^}]*\}?|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@#?*$!-])|(&&|\|\||[|;<>&]+)|([A-Za-z_][A-Za-z0-9_-]*)/gm;

/** Splits a shell script into tokens for colouring; good enough for people reading a step, not a shell parser. */
export function shellTokens(script: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const match of script.matchAll(PATTERN)) {
    const at = match.index ?? 0;
    if (at > last) out.push({ text: script.slice(last, at), kind: "plain" });
    const [text, expression, comment, string, variable, operator, word] = match;
    const kind: Token["kind"] = expression
      ? "expression"
      : comment
        ? "comment"
        : string
          ? "string"
          : variable
            ? "variable"
            : operator
              ? "operator"
              : word && KEYWORDS.has(word)
                ? "keyword"
                : "plain";
    out.push({ text, kind });
    last = at + text.length;
  }
  if (last < script.length) out.push({ text: script.slice(last), kind: "plain" });
  return out;
}
