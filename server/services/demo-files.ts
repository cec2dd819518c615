/** The small web app in the demo project's repository, and the pipeline that builds it. */
export const demoFiles: Record<string, string> = {
  "README.md": `# Demo app

A tiny web server that Slipway's demo pipeline tests, builds and deploys.
Run it with \`node server.js\` and open http://localhost:8080.

Every run of the pipeline builds \`dist/\` and deploys it to the development
environment (a rolling update). From the project's Deployments tab, promote a
release to staging (blue-green) and then to production, where it goes out as a
canary: a share of the traffic first, the rest after a pause. Each environment
runs its instances on this machine and is served by Slipway's router on its
own port, shown on the board.
`,
  "server.js": `import http from "node:http";

const port = Number(process.env.PORT ?? 8080);
// Slipway's local target names the release each instance runs.
const version = process.env.SLIPWAY_VERSION ?? process.env.APP_VERSION ?? "dev";

const server = http
  .createServer((request, response) => {
    if (request.url === "/healthz") return response.end("ok\\n");
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.end(\`<h1>Hello from the Slipway demo</h1><p>version \${version}</p>\\n\`);
  })
  .listen(port, () => console.log(\`demo app \${version} listening on \${port}\`));

// Stopped after the router drained it: finish what is in flight, then go.
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`,
  "package.json": `{
  "name": "slipway-demo-app",
  "version": "1.0.0",
  "type": "module",
  "private": true
}
`,
  "scripts/test.sh": `#!/bin/sh
set -eu
echo "checking that server.js answers /healthz"
grep -q "/healthz" server.js
echo "1 passed, 0 failed"
`,
  "scripts/lint.sh": `#!/bin/sh
set -eu
echo "looking for trailing whitespace"
if grep -n " $" server.js; then echo "trailing whitespace found"; exit 1; fi
echo "lint clean"
`,
  "scripts/build.sh": `#!/bin/sh
set -eu
mkdir -p dist
cp server.js package.json dist/
echo "built dist/ at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
`,
  ".slipway.yml": `# The demo pipeline: test and lint run side by side, then build, then every
# build is deployed to development. Promote a release to staging and production
# from the project's Deployments tab (production takes it as a canary).
name: demo
on:
  push:
    branches: [main]
  manual: {}

jobs:
  test:
    name: Test
    steps:
      - uses: checkout
      - run: sh scripts/test.sh

  lint:
    name: Lint
    steps:
      - uses: checkout
      - run: sh scripts/lint.sh

  build:
    name: Build
    needs: [test, lint]
    steps:
      - uses: checkout
      - run: sh scripts/build.sh
      - uses: upload-artifact
        with:
          name: app
          path: dist

  deploy:
    name: Deploy to development
    needs: [build]
    environment: development
    deploy:
      artifact: app
      strategy: rolling
`,
};
