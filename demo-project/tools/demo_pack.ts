/**
 * The demo's main pack for the Godot web build: the demo project's own `project.godot`,
 * scenes, scripts and domain, plus the addon's run-time folders under `res://addons/ensoul/`
 * (in the repository `demo-project/addons/ensoul` is a symlink to `godot-addon/addons/ensoul`,
 * which is what the Godot editor sees). `npm run demo` and the demo's test boot the same pack.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { filesFromDir, type PackFile, type PackOptions } from "../../godot-addon/test/harness/index.js";

const REPO = path.resolve(import.meta.dirname, "../..");
/** The demo project folder. */
export const DEMO_DIR = path.join(REPO, "demo-project");
const ADDON_DIR = path.join(REPO, "godot-addon/addons/ensoul");
/** The addon folders a running game needs; the editor-only dock stays out of the pack. */
const ADDON_RUNTIME_FOLDERS = ["client", "generated", "runtime"] as const;
/** Demo folders that hold the game (tools/ is this TypeScript, ignored by Godot too). */
const DEMO_GAME_FOLDERS = ["village"] as const;

/** Pack options (files and the project file) that boot the demo; `includeRunner` is off. */
export async function demoPackOptions(): Promise<PackOptions> {
  const files: PackFile[] = [];
  for (const folder of DEMO_GAME_FOLDERS) files.push(...(await filesFromDir(path.join(DEMO_DIR, folder), folder)));
  for (const folder of ADDON_RUNTIME_FOLDERS) {
    const dir = path.join(ADDON_DIR, folder);
    if (await isDirectory(dir)) files.push(...(await filesFromDir(dir, `addons/ensoul/${folder}`)));
  }
  return {
    files,
    projectGodot: await readFile(path.join(DEMO_DIR, "project.godot"), "utf8"),
    includeRunner: false,
  };
}

/** The total size of a pack's files in bytes (the demo keeps it well under 1 MB). */
export function packFilesBytes(files: readonly PackFile[]): number {
  return files.reduce((sum, f) => sum + (typeof f.data === "string" ? Buffer.byteLength(f.data) : f.data.byteLength), 0);
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
