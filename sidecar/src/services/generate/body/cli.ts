/**
 * `ensoul body --from character.json|params.json --out body.glb`: builds a body from either a
 * BodyParams document or any object with an `appearance` field (a character), mapped
 * best-effort.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { EnsoulError } from "../../../lib/errors.js";
import { writeOutputFile } from "../cli.js";
import { buildBody } from "./build.js";
import { bodyParamsFromAppearance, resolveBodyParams, type BodyParams } from "./params.js";

/** Reads the parameters from a parsed JSON document: a character (has `appearance`) or params. */
export function bodyParamsFromDocument(doc: unknown): BodyParams {
  if (typeof doc === "object" && doc !== null && !Array.isArray(doc) && "appearance" in doc) {
    return bodyParamsFromAppearance((doc as { appearance: unknown }).appearance);
  }
  return resolveBodyParams(doc);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new EnsoulError("NOT_FOUND", `cannot read ${path}: ${(err as Error).message}`, { field: "from", cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EnsoulError("INVALID_ARGUMENT", `${path} is not JSON: ${(err as Error).message}`, { field: "from", cause: err });
  }
}

/** Adds the `body` subcommand to a commander program. */
export function registerBodyCommand(program: Command): Command {
  return program
    .command("body")
    .description("build a rigged, skinned .glb body from a character's appearance or body parameters")
    .requiredOption("--from <file>", "character JSON (with an appearance) or body parameters JSON")
    .requiredOption("--out <file>", "where to write the .glb")
    .action(async (opts: { from: string; out: string }) => {
      const params = bodyParamsFromDocument(await readJson(opts.from));
      const glb = await buildBody(params);
      await writeOutputFile(opts.out, glb);
      process.stdout.write(`wrote ${opts.out} (${glb.byteLength} bytes)\n`);
    });
}
