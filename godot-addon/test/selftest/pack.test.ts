/**
 * The pack builder and output parsing, without a browser: zips that another reader accepts,
 * the class cache the engine needs for `class_name`, and the runner's result lines.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../../sidecar/src/lib/errors.js";
import { collectErrors, parseTestResults, parseTestSummary } from "../harness/output.js";
import { buildPack, classCacheText, projectGodotText, scanScriptHeader } from "../harness/pack.js";
import { crc32, writeZip } from "../harness/zip.js";

/** Lists a zip with Python's zipfile (an independent reader) after checking every CRC. */
async function readWithPython(zip: Uint8Array): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), "ensoul-zip-"));
  try {
    const path = join(dir, "pack.zip");
    await writeFile(path, zip);
    const script = [
      "import sys, json, zipfile",
      "z = zipfile.ZipFile(sys.argv[1])",
      "assert z.testzip() is None, 'bad CRC'",
      "print(json.dumps({i.filename: z.read(i).hex() for i in z.infolist()}))",
    ].join("\n");
    return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, path], { encoding: "utf8" })) as Record<string, string>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("writeZip", () => {
  it("computes the same CRC-32 as zlib", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => crc32(bytes) === zlibCrc32(bytes)));
  });

  it("writes archives that Python's zipfile reads back byte for byte", async () => {
    const entries = [
      { path: "project.godot", data: new TextEncoder().encode("config_version=5\n") },
      { path: "tests/sub/ünïcode.gd", data: new TextEncoder().encode("extends Node\n") },
      { path: "empty.bin", data: new Uint8Array(0) },
      { path: "blob.bin", data: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff) },
    ];
    const read = await readWithPython(writeZip(entries));
    expect(read).toEqual(Object.fromEntries(entries.map((e) => [e.path, Buffer.from(e.data).toString("hex")])));
  });

  it("rejects duplicate entries", () => {
    const entry = { path: "a.gd", data: new Uint8Array(1) };
    expect(() => writeZip([entry, entry])).toThrow(/duplicate entry a\.gd/);
  });
});

describe("scanScriptHeader", () => {
  it("reads class_name, extends and annotations from the header only", () => {
    const source = [
      "@tool",
      '@icon("res://addons/ensoul/icon.svg")',
      "## Docs.",
      "class_name EnsoulClient extends Node",
      "",
      "class Inner extends RefCounted:",
      "\tpass",
    ].join("\n");
    expect(scanScriptHeader(source)).toEqual({
      className: "EnsoulClient",
      extendsTarget: "Node",
      isTool: true,
      isAbstract: false,
      icon: "res://addons/ensoul/icon.svg",
    });
  });

  it("ignores a class_name that appears after the first member", () => {
    const header = scanScriptHeader('extends Node\nvar x := 1\nclass_name Late\n');
    expect(header.className).toBe("");
    expect(header.extendsTarget).toBe("Node");
  });
});

describe("classCacheText", () => {
  it("lists each class_name with its base, resolving a base given by path", () => {
    const text = classCacheText([
      { path: "codec/base.gd", data: "class_name CodecBase\nextends RefCounted\n" },
      { path: "codec/plain.gd", data: 'extends "res://codec/base.gd"\n' },
      { path: "codec/varint.gd", data: '@abstract\nclass_name Varint\nextends "res://codec/plain.gd"\n' },
      { path: "bare.gd", data: "class_name Bare\n" },
      { path: "scene.tscn", data: "class_name NotAScript\n" },
    ]);
    expect(text).toBe(
      "list=[" +
        '{\n"base": &"RefCounted",\n"class": &"Bare",\n"icon": "",\n"is_abstract": false,\n"is_tool": false,\n"language": &"GDScript",\n"path": "res://bare.gd"\n}, ' +
        '{\n"base": &"RefCounted",\n"class": &"CodecBase",\n"icon": "",\n"is_abstract": false,\n"is_tool": false,\n"language": &"GDScript",\n"path": "res://codec/base.gd"\n}, ' +
        '{\n"base": &"CodecBase",\n"class": &"Varint",\n"icon": "",\n"is_abstract": true,\n"is_tool": false,\n"language": &"GDScript",\n"path": "res://codec/varint.gd"\n}' +
        "]\n",
    );
  });

  it("writes an empty list when no script declares a class", () => {
    expect(classCacheText([{ path: "a.gd", data: "extends Node\n" }])).toBe("list=[]\n");
  });
});

describe("projectGodotText and buildPack", () => {
  it("writes the main scene, the compatibility renderer, autoloads and caller settings", () => {
    const text = projectGodotText({
      autoloads: { Ensoul: "res://addons/ensoul/ensoul.gd" },
      settings: { display: { "window/size/viewport_width": 320 }, application: { "config/name": 'Say "hi"' } },
    });
    expect(text).toContain('config_version=5\n');
    expect(text).toContain('run/main_scene="res://main.tscn"\n');
    expect(text).toContain('renderer/rendering_method="gl_compatibility"\n');
    expect(text).toContain('[autoload]\n\nEnsoul="*res://addons/ensoul/ensoul.gd"\n');
    expect(text).toContain("window/size/viewport_width=320\n");
    expect(text).toContain('config/name="Say \\"hi\\""\n');
  });

  it("packs the runner, the project file and the class cache beside the given files", async () => {
    const read = await readWithPython(await buildPack({ files: [{ path: "res://tests/test_a.gd", data: "extends EnsoulTest\n" }] }));
    expect(Object.keys(read).sort()).toEqual([
      ".godot/global_script_class_cache.cfg",
      "main.tscn",
      "project.godot",
      "test/runner/ensoul_test.gd",
      "test/runner/test_runner.gd",
      "tests/test_a.gd",
    ]);
    const cache = Buffer.from(read[".godot/global_script_class_cache.cfg"]!, "hex").toString("utf8");
    expect(cache).toContain('"class": &"EnsoulTest"');
    expect(cache).toContain('"path": "res://test/runner/ensoul_test.gd"');
  });

  it("puts a given project.godot into the pack as it is", async () => {
    const project = 'config_version=5\n\n[application]\n\nrun/main_scene="res://game/game.tscn"\n';
    const read = await readWithPython(
      await buildPack({ projectGodot: project, includeRunner: false, mainScene: "res://ignored.tscn", files: [] }),
    );
    expect(Buffer.from(read["project.godot"]!, "hex").toString("utf8")).toBe(project);
    expect(read["main.tscn"]).toBeUndefined();
  });

  it("rejects paths that escape res:// or repeat", async () => {
    for (const path of ["../x.gd", "/abs.gd", "a//b.gd", "a\\b.gd", ""]) {
      await expect(buildPack({ files: [{ path, data: "" }] })).rejects.toThrow(EnsoulError);
    }
    await expect(buildPack({ files: [{ path: "main.tscn", data: "" }] })).rejects.toThrow(/given twice/);
  });
});

describe("output parsing", () => {
  const stdout = [
    "Godot Engine v4.6.stable.official.89cea1439 - https://godotengine.org",
    "ENSOUL-TEST PASS tests/test_codec.gd::test_round_trip 3ms",
    "ENSOUL-TEST FAIL tests/test_codec.gd::test_varint 12ms: expected 300, got 44\\nsecond line",
    "ENSOUL-TEST FAIL tests/test_broken.gd 0ms: could not load the script (see the SCRIPT ERROR above)",
    "ENSOUL-TEST SUMMARY passed=1 failed=2 total=3",
  ];

  it("reads one result per runner line, with script, name, time and message", () => {
    expect(parseTestResults(stdout)).toEqual([
      { id: "tests/test_codec.gd::test_round_trip", script: "tests/test_codec.gd", name: "test_round_trip", passed: true, durationMs: 3, message: "" },
      { id: "tests/test_codec.gd::test_varint", script: "tests/test_codec.gd", name: "test_varint", passed: false, durationMs: 12, message: "expected 300, got 44\nsecond line" },
      { id: "tests/test_broken.gd", script: "tests/test_broken.gd", name: "", passed: false, durationMs: 0, message: "could not load the script (see the SCRIPT ERROR above)" },
    ]);
    expect(parseTestSummary(stdout)).toEqual({ passed: 1, failed: 2, total: 3 });
    expect(parseTestSummary(stdout.slice(0, 3))).toBeNull();
  });

  it("folds the engine's location line into each error", () => {
    const stderr = [
      "SCRIPT ERROR: Parse Error: Expected expression.",
      "   at: GDScript::reload (res://tests/test_b.gd:3)",
      "ERROR: Failed to load script \"res://tests/test_b.gd\" with error \"Parse error\".",
      "   at: load (modules/gdscript/gdscript.cpp:2907)",
      "ERROR: no location",
    ];
    expect(collectErrors(stderr, "SCRIPT ERROR")).toEqual([
      "SCRIPT ERROR: Parse Error: Expected expression. (at: GDScript::reload (res://tests/test_b.gd:3))",
    ]);
    expect(collectErrors(stderr, "ERROR")).toEqual([
      'ERROR: Failed to load script "res://tests/test_b.gd" with error "Parse error". (at: load (modules/gdscript/gdscript.cpp:2907))',
      "ERROR: no location",
    ]);
  });
});
