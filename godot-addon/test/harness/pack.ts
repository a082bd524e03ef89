/**
 * Builds the main pack (a .zip) the Godot 4.6 web build boots: our files, a `project.godot`,
 * the global class cache that makes `class_name` work across files, and the GDScript test
 * runner scene. Everything is built in memory; nothing is written to disk.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { EnsoulError } from "../../../sidecar/src/lib/errors.js";
import { writeZip, type ZipEntry } from "./zip.js";

/** A file of the pack: `path` is relative to `res://` ("tests/test_codec.gd"). */
export interface PackFile {
  path: string;
  data: string | Uint8Array;
}

/**
 * A value in `project.godot`. Strings, numbers and booleans are written as Godot literals;
 * `{ variant: "..." }` is written verbatim (e.g. `{ variant: 'PackedStringArray("a")' }`).
 */
export type ProjectSettingValue = string | number | boolean | { variant: string };

/** `project.godot` sections: section name → key → value, e.g. `{ display: { "window/size/viewport_width": 640 } }`. */
export type ProjectSettings = Record<string, Record<string, ProjectSettingValue>>;

export interface PackOptions {
  /** Our files: scripts, scenes, fixtures. Paths are relative to `res://`. */
  files: readonly PackFile[];
  /** Extra `project.godot` settings, merged over the defaults. */
  settings?: ProjectSettings;
  /** Autoload singletons: name → `res://` path of a script or scene. */
  autoloads?: Record<string, string>;
  /** The scene the engine starts. Default: the test runner, `res://main.tscn`. */
  mainScene?: string;
  /** Put the GDScript test runner into the pack (default true). */
  includeRunner?: boolean;
  /**
   * A whole `project.godot`, put into the pack as it is (e.g. a real project's own file);
   * `mainScene`, `settings` and `autoloads` are then not used.
   */
  projectGodot?: string;
}

/** Where the runner lives in the pack; mirrors the repository (godot-addon/ is `res://`). */
export const RUNNER_RES_DIR = "test/runner";
export const RUNNER_MAIN_SCENE = "res://main.tscn";
const RUNNER_SOURCE_DIR = fileURLToPath(new URL("../runner/", import.meta.url));
const RUNNER_SCRIPTS = ["test_runner.gd", "ensoul_test.gd"] as const;

const CLASS_CACHE_PATH = ".godot/global_script_class_cache.cfg";

/** What a script's header declares, as the engine's global class cache records it. */
export interface ScriptHeader {
  /** The `class_name`, or "" when the script declares none. */
  className: string;
  /** The `extends` target as written: a class name or a quoted `res://` path; "" if none. */
  extendsTarget: string;
  isTool: boolean;
  isAbstract: boolean;
  icon: string;
}

/**
 * Reads the header of a GDScript file: the annotations, `class_name` and `extends` before the
 * first member (GDScript allows them nowhere else).
 */
export function scanScriptHeader(source: string): ScriptHeader {
  let className = "";
  let extendsTarget = "";
  let isTool = false;
  let isAbstract = false;
  let icon = "";
  const token = /^\s*(?:@(\w+)(?:\(\s*(?:"([^"]*)"|[^)]*)\s*\))?|class_name\s+([A-Za-z_]\w*)|extends\s+("[^"]*"|'[^']*'|[A-Za-z_][\w.]*))\s*;?/;
  for (const rawLine of source.split(/\r?\n/)) {
    let line = rawLine.replace(/^\uFEFF/, "");
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (/^\s/.test(line)) break; // an indented line: the header is over
    let matched = false;
    for (let m = token.exec(line); m !== null && m[0].length > 0; m = token.exec(line)) {
      matched = true;
      if (m[1] === "tool") isTool = true;
      else if (m[1] === "abstract") isAbstract = true;
      else if (m[1] === "icon") icon = m[2] ?? "";
      else if (m[3] !== undefined) className = m[3];
      else if (m[4] !== undefined) extendsTarget = m[4];
      line = line.slice(m[0].length);
    }
    const rest = line.replace(/#.*$/, "").trim();
    if (!matched || (rest !== "" && rest !== ":")) break; // a member or statement: header over
  }
  return { className, extendsTarget, isTool, isAbstract, icon };
}

/**
 * The `.godot/global_script_class_cache.cfg` ConfigFile for the given files: one dictionary per
 * `class_name` in a `.gd` file. A base given by path resolves to that file's class name, or
 * further up its chain; a script without `extends` has the base `RefCounted`.
 */
export function classCacheText(files: readonly PackFile[]): string {
  const headers = new Map<string, ScriptHeader>();
  for (const file of files) {
    if (!file.path.endsWith(".gd")) continue;
    const source = typeof file.data === "string" ? file.data : new TextDecoder().decode(file.data);
    headers.set(resPath(file.path), scanScriptHeader(source));
  }

  const baseOf = (target: string, depth: number): string => {
    if (target === "") return "RefCounted";
    if (!/^["']/.test(target)) return target;
    const parentPath = target.slice(1, -1);
    const parent = headers.get(parentPath.startsWith("res://") ? parentPath : `res://${parentPath}`);
    // a relative path or a missing file: the engine would fail to load it anyway
    if (!parent || depth > 32) return "RefCounted";
    if (parent.className !== "") return parent.className;
    return baseOf(parent.extendsTarget, depth + 1);
  };

  const entries = [...headers.entries()]
    .filter(([, d]) => d.className !== "")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, d]) =>
      [
        "{",
        `"base": &${godotString(baseOf(d.extendsTarget, 0))},`,
        `"class": &${godotString(d.className)},`,
        `"icon": ${godotString(d.icon)},`,
        `"is_abstract": ${d.isAbstract},`,
        `"is_tool": ${d.isTool},`,
        `"language": &"GDScript",`,
        `"path": ${godotString(path)}`,
        "}",
      ].join("\n"),
    );
  return `list=[${entries.join(", ")}]\n`;
}

/** The text of `project.godot`: Godot's defaults for a headless test, then `settings`. */
export function projectGodotText(options: Omit<PackOptions, "files"> = {}): string {
  const sections: ProjectSettings = {
    application: {
      "config/name": "Ensoul tests",
      "run/main_scene": options.mainScene ?? RUNNER_MAIN_SCENE,
    },
    rendering: {
      "renderer/rendering_method": "gl_compatibility",
      "renderer/rendering_method.mobile": "gl_compatibility",
    },
  };
  for (const [name, path] of Object.entries(options.autoloads ?? {})) {
    if (!/^[A-Za-z_]\w*$/.test(name)) {
      throw new EnsoulError("INVALID_ARGUMENT", `autoload name "${name}" is not an identifier`, { field: "autoloads" });
    }
    (sections.autoload ??= {})[name] = `*${resPath(path)}`;
  }
  for (const [section, values] of Object.entries(options.settings ?? {})) {
    Object.assign((sections[section] ??= {}), values);
  }

  const lines = ["; Written by godot-addon/test/harness/pack.ts for a test run.", "config_version=5", ""];
  for (const [section, values] of Object.entries(sections)) {
    lines.push(`[${section}]`, "");
    for (const [key, value] of Object.entries(values)) lines.push(`${key}=${settingLiteral(value)}`);
    lines.push("");
  }
  return lines.join("\n");
}

function settingLiteral(value: ProjectSettingValue): string {
  if (typeof value === "string") return godotString(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new EnsoulError("INVALID_ARGUMENT", `setting value ${value} is not finite`, { field: "settings" });
    return String(value);
  }
  return value.variant;
}

/** A Godot string literal (ConfigFile / Variant text syntax). */
function godotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function resPath(path: string): string {
  return `res://${normalizePackPath(path)}`;
}

/**
 * Checks a pack path and returns it relative to `res://`: forward slashes, no leading `res://`
 * or `/`, no `.` or `..` segments.
 */
export function normalizePackPath(path: string): string {
  const stripped = path.startsWith("res://") ? path.slice("res://".length) : path;
  const segments = stripped.split("/");
  if (stripped === "" || stripped.includes("\\") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new EnsoulError("INVALID_ARGUMENT", `pack path "${path}" must be a relative path like "tests/test_x.gd"`, { field: "files.path" });
  }
  return stripped;
}

/** The runner's scene and scripts, as pack files. */
export async function runnerFiles(): Promise<PackFile[]> {
  const scripts = await Promise.all(
    RUNNER_SCRIPTS.map(async (name) => ({
      path: `${RUNNER_RES_DIR}/${name}`,
      data: await readFile(join(RUNNER_SOURCE_DIR, name), "utf8"),
    })),
  );
  const scene = await readFile(join(RUNNER_SOURCE_DIR, "main.tscn"), "utf8");
  return [{ path: "main.tscn", data: scene }, ...scripts];
}

/**
 * Builds the zip main pack: `project.godot`, the class cache, the runner (unless
 * `includeRunner: false`) and `files`. Rejects duplicate or malformed paths.
 */
export async function buildPack(options: PackOptions): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const files = [...(options.includeRunner === false ? [] : await runnerFiles()), ...options.files];
  const seen = new Set<string>();
  const entries: ZipEntry[] = [];
  const add = (path: string, data: string | Uint8Array): void => {
    const normalized = normalizePackPath(path);
    if (seen.has(normalized)) {
      throw new EnsoulError("INVALID_ARGUMENT", `pack path "${normalized}" is given twice`, { field: "files.path" });
    }
    seen.add(normalized);
    entries.push({ path: normalized, data: typeof data === "string" ? encoder.encode(data) : data });
  };
  add("project.godot", options.projectGodot ?? projectGodotText(options));
  add(CLASS_CACHE_PATH, classCacheText(files));
  for (const file of files) add(file.path, file.data);
  return writeZip(entries);
}

/**
 * Reads every file under `localDir` (recursively) as pack files placed under `resDir`, e.g.
 * `filesFromDir("godot-addon/addons/ensoul/generated", "addons/ensoul/generated")`.
 * Text and binary files alike are read as bytes.
 */
export async function filesFromDir(localDir: string, resDir: string): Promise<PackFile[]> {
  const entries = await readdir(localDir, { recursive: true, withFileTypes: true });
  const files: PackFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const rel = relative(localDir, full).split(sep).join("/");
    files.push({ path: `${resDir.replace(/\/+$/, "")}/${rel}`, data: new Uint8Array(await readFile(full)) });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
