import { evaluate, findExpressions, type ExpressionContext } from "@/server/pipeline";

const stringify = (value: unknown) => (value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value));

/**
 * Takes every `${{ }}` out of a step's script and puts a variable reference in
 * its place, with the value in the environment. A branch named
 * `x";touch /tmp/pwned;#` then reaches the shell as data, never as code.
 */
export function scriptWithEnv(script: string, context: ExpressionContext): { script: string; env: Record<string, string> } {
  const found = findExpressions(script);
  if (found.length === 0) return { script, env: {} };
  const env: Record<string, string> = {};
  let out = "";
  let at = 0;
  found.forEach((expression, index) => {
    const name = `SLIPWAY_EXPR_${index + 1}`;
    env[name] = stringify(evaluate(expression.inner, context));
    out += script.slice(at, expression.start) + "${" + name + "}";
    at = expression.end;
  });
  return { script: out + script.slice(at), env };
}

/** Evaluates `${{ }}` inside an env value; the result is data, so plain interpolation is safe here. */
export function envWithValues(env: Record<string, string>, context: ExpressionContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const found = findExpressions(value);
    let text = "";
    let at = 0;
    for (const expression of found) {
      text += value.slice(at, expression.start) + stringify(evaluate(expression.inner, context));
      at = expression.end;
    }
    out[key] = text + value.slice(at);
  }
  return out;
}
