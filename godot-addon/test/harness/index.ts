/**
 * The harness that runs GDScript in the real Godot 4.6 engine (web build, headless Chromium).
 * See ../README.md for how to write and run a GDScript test.
 */
export { assertRunPassed, describeRun, GodotHarness, GodotRunFailedError, runGodot } from "./godot.js";
export type { GodotRun, HarnessOptions, RunOptions } from "./godot.js";
export type { TestResult, TestSummary } from "./output.js";
export type { RunSession } from "./session.js";
export { defaultEngineDir, startEngineServer } from "./server.js";
export type { EngineServer, EngineServerOptions } from "./server.js";
export { buildPack, classCacheText, filesFromDir, projectGodotText, scanScriptHeader } from "./pack.js";
export type { PackFile, PackOptions, ProjectSettings, ProjectSettingValue, ScriptHeader } from "./pack.js";
export { startTestSidecar } from "./sidecar.js";
export type { TestSidecar } from "./sidecar.js";
