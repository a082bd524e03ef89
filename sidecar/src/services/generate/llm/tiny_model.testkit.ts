/**
 * The tiny Qwen3 test model for tests and benches: built by models/build_tiny_qwen3.py (offline,
 * fixed seed, ~5 s) the first time it is needed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SamplingSettings } from "./index.js";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
export const TINY_MODEL_DIR = `${REPO}models/test/tiny-qwen3`;

/** Returns the tiny model's folder, building it when any of its files is missing. */
export function ensureTinyModel(): string {
  const files = ["model.onnx", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"];
  if (!files.every((f) => existsSync(`${TINY_MODEL_DIR}/${f}`))) {
    // Build beside it and move it in whole, so a concurrent reader never sees half a model.
    const temporary = `${TINY_MODEL_DIR}.building-${process.pid}`;
    execFileSync("/usr/bin/python3", [`${REPO}models/build_tiny_qwen3.py`, "--out", temporary], { stdio: "pipe" });
    rmSync(TINY_MODEL_DIR, { recursive: true, force: true });
    renameSync(temporary, TINY_MODEL_DIR);
  }
  return TINY_MODEL_DIR;
}

/** Sampling settings that the tests and the bench cycle through (each a different path of the sampler). */
export const SAMPLING_VARIETY: readonly SamplingSettings[] = [
  {},
  { temperature: 0 },
  { temperature: 0.7, topK: 40 },
  { temperature: 1.3, topP: 0.9 },
  { temperature: 1, minP: 0.1 },
  { temperature: 0.8, topK: 20, topP: 0.95, minP: 0.05, repetitionPenalty: 1.3 },
  { temperature: 2, repetitionPenalty: 2 },
];
