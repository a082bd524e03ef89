/**
 * `npm run gen`: regenerates every file derived from shared-schema/proto. Deterministic: the
 * same .proto files give the same bytes. `--check` writes nothing and exits 1 listing the files
 * that differ (the test suite runs it).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { generateGdscript } from "./gdscript.js";
import { loadPackage, PROTOCOL, REPO_DIR, SCHEMA_DIR, TESTING } from "./load.js";
import { generateTypeScript } from "./typescript.js";
import { buildVectors } from "./vectors.js";

/** Generated files by path relative to the repository; folders listed in `owned` hold nothing else. */
export interface GeneratedTree {
  files: Map<string, Uint8Array | string>;
  owned: string[];
}

export function generateAll(): GeneratedTree {
  const files = new Map<string, Uint8Array | string>();
  const protocol = loadPackage(PROTOCOL);
  const testing = loadPackage(TESTING);
  files.set("sidecar/src/generated/ensoul_v1.ts", generateTypeScript(protocol, PROTOCOL, PROTOCOL.dir));
  files.set("sidecar/src/generated/ensoul_testing_v1.ts", generateTypeScript(testing, TESTING, TESTING.dir));
  files.set(
    "godot-addon/addons/ensoul/generated/ensoul_v1.gd",
    generateGdscript(loadPackage(PROTOCOL, { keepCase: true }), PROTOCOL),
  );
  files.set(
    "godot-addon/test/generated/ensoul_testing_v1.gd",
    generateGdscript(loadPackage(TESTING, { keepCase: true }), TESTING),
  );
  for (const [name, content] of buildVectors([protocol, testing])) {
    files.set(path.relative(REPO_DIR, path.join(SCHEMA_DIR, "vectors", name)), content);
  }
  return {
    files,
    owned: [
      "sidecar/src/generated",
      "godot-addon/addons/ensoul/generated",
      "godot-addon/test/generated",
      "shared-schema/vectors",
    ],
  };
}

function sameContent(file: string, expected: Uint8Array | string): boolean {
  try {
    const actual = readFileSync(file);
    return Buffer.compare(actual, Buffer.from(expected)) === 0;
  } catch {
    return false;
  }
}

/** Files that are missing, different, or present in an owned folder without being generated. */
export function staleFiles(tree: GeneratedTree): string[] {
  const stale: string[] = [];
  for (const [rel, content] of tree.files) {
    if (!sameContent(path.join(REPO_DIR, rel), content)) stale.push(rel);
  }
  for (const dir of tree.owned) {
    let entries: string[] = [];
    try {
      entries = readdirSync(path.join(REPO_DIR, dir));
    } catch {
      continue;
    }
    for (const entry of entries) {
      const rel = `${dir}/${entry}`;
      if (!tree.files.has(rel) && !entry.endsWith(".uid")) stale.push(`${rel} (not generated)`);
    }
  }
  return stale.sort();
}

export function writeTree(tree: GeneratedTree): void {
  for (const dir of tree.owned) {
    for (const entry of readdirSafe(path.join(REPO_DIR, dir))) {
      const rel = `${dir}/${entry}`;
      if (!tree.files.has(rel) && !entry.endsWith(".uid")) rmSync(path.join(REPO_DIR, rel));
    }
  }
  for (const [rel, content] of tree.files) {
    const file = path.join(REPO_DIR, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const tree = generateAll();
  if (process.argv.includes("--check")) {
    const stale = staleFiles(tree);
    if (stale.length > 0) {
      console.error(`generated files are out of date (run npm run gen):\n  ${stale.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`${tree.files.size} generated files up to date`);
  } else {
    writeTree(tree);
    console.log(`wrote ${tree.files.size} generated files`);
  }
}
