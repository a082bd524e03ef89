#!/usr/bin/env node
// The `ensoul` command. It runs the built CLI from sidecar/dist, which `npm run build` writes
// (`npm start` builds first); this launcher exists at install time so npm can link it.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("ensoul: the sidecar is not built yet: run `npm run build` (npm start does it too)");
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
