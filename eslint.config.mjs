import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".next/**", ".slipway*/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "db/migrations/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: globals.node },
  },
  {
    // The pure cores take data and return data: no database, containers, clusters or network.
    files: ["server/pipeline/**/*.ts", "server/deploy/**/*.ts", "server/governance/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@/db/*", "@/db", "../../db/*", "@/server/services/*", "@/workers/*"], message: "Pure cores do no I/O: pass data in instead." },
            { group: ["node:fs", "node:fs/*", "fs", "node:net", "node:http", "node:child_process", "dockerode", "@kubernetes/*", "postgres", "pg-boss"], message: "Pure cores do no I/O: pass data in instead." },
          ],
        },
      ],
    },
  },
);
