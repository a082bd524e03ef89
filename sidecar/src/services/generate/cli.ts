/**
 * `ensoul generate "prompt" [--seed N] [--out file.json] [hints]`: one character, written as
 * JSON to a file or to stdout. The CLI's main calls `registerGenerateCommand`; the LLM generator,
 * once configured, arrives through `generators` and adds its own options.
 */
import type { Command } from "commander";
import { EnsoulError } from "../../lib/errors.js";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { PRONOUNS } from "./character.js";
import { createProceduralGenerator, generateToEnd, loadLlmGenerator, type CharacterGenerators } from "./index.js";
import { checkCharacterRequest, GENERATOR_KINDS, MAX_SEED } from "./request.js";

interface GenerateOptions {
  seed: string;
  out?: string;
  generator?: string;
  model?: string;
  maxTokens?: string;
  name?: string;
  species?: string;
  role?: string;
  pronouns?: string;
  level?: string;
}

/** Adds the `generate` subcommand to a commander program. */
export function registerGenerateCommand(
  program: Command,
  out: (line: string) => void = (line) => console.log(line),
  generators: CharacterGenerators = { procedural: createProceduralGenerator() },
): Command {
  return program
    .command("generate")
    .description("generate a character from a description, as JSON (same prompt and seed, same character)")
    .argument("<prompt>", 'what the character is, e.g. "a cowardly dwarven blacksmith who owes money to the thieves\' guild"')
    .option("--seed <n>", `an integer from 0 to ${MAX_SEED}; another seed gives another character`, "0")
    .option("--out <file>", "write the character to this file instead of stdout")
    .option("--generator <kind>", `${GENERATOR_KINDS.join(" or ")} (default: llm with --model, else procedural)`)
    .option("--model <dir>", "a Qwen3 ONNX model folder for the llm generator (see models/README.md)")
    .option("--max-tokens <n>", "with --model: the most tokens the character may take (default 2048)")
    .option("--name <name>", "the character's name")
    .option("--species <species>", 'e.g. "dwarf", "elf", "human"')
    .option("--role <role>", 'class or trade, e.g. "blacksmith", "wizard"')
    .option("--pronouns <pronouns>", PRONOUNS.join(", "))
    .option("--level <n>", "1 to 20")
    .action(async (prompt: string, opts: GenerateOptions) => {
      const request = checkCharacterRequest({
        prompt,
        seed: integerOption(opts.seed, "seed"),
        generator: opts.generator ?? (opts.model === undefined ? "procedural" : "llm"),
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(opts.species === undefined ? {} : { species: opts.species }),
        ...(opts.role === undefined ? {} : { role: opts.role }),
        ...(opts.pronouns === undefined ? {} : { pronouns: opts.pronouns }),
        ...(opts.level === undefined ? {} : { level: integerOption(opts.level, "level") }),
      });
      const llm =
        opts.model === undefined
          ? undefined
          : await loadLlmGenerator({
              modelDir: opts.model,
              ...(opts.maxTokens === undefined ? {} : { maxTokens: integerOption(opts.maxTokens, "max-tokens") }),
            });
      let character;
      try {
        character = await generateToEnd(llm === undefined ? generators : { ...generators, llm }, request);
      } finally {
        await llm?.close();
      }
      const json = `${JSON.stringify(character, null, 2)}\n`;
      if (opts.out === undefined) {
        out(json.trimEnd());
        return;
      }
      await writeOutputFile(opts.out, Buffer.from(json));
      out(`wrote ${opts.out}: ${character.name}, ${character.species} ${character.role} (seed ${request.seed})`);
    });
}

/**
 * Writes a command's output file whole or not at all (temp file + rename, so an interrupted run
 * never leaves half a file behind); a path that cannot be written is INVALID_ARGUMENT on "out".
 */
export async function writeOutputFile(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(file, bytes);
  } catch (err) {
    throw new EnsoulError("INVALID_ARGUMENT", `cannot write ${file}: ${(err as Error).message}`, { field: "out", cause: err });
  }
}

/** A decimal integer option, refused with the option named when it is anything else. */
function integerOption(text: string, field: string): number {
  if (!/^\d{1,16}$/.test(text.trim())) {
    throw new EnsoulError("INVALID_ARGUMENT", `--${field} must be a whole number, not "${text}"`, { field });
  }
  return Number(text.trim());
}
