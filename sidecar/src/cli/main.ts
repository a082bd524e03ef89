#!/usr/bin/env node
/**
 * The `ensoul` command. Every failure ends with one line on stderr and an exit code from
 * exit-codes.ts, never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { pathToFileURL } from "node:url";
import { realpathSync } from "node:fs";
import { toEnsoulError } from "../lib/errors.js";
import { SERVER_VERSION } from "../lib/version.js";
import { registerStoreCommands } from "../services/assets/cli.js";
import { registerAuthCommands } from "../services/auth/cli.js";
import { registerBodyCommand } from "../services/generate/body/cli.js";
import { registerGenerateCommand } from "../services/generate/cli.js";
import { registerPlanCommand } from "../services/planner/cli.js";
import { registerSecurityCommands } from "../services/security/cli.js";
import { registerInfoCommand, registerKeystoreCommand, registerPingCommand, registerServeCommand } from "./commands.js";
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from "./exit-codes.js";

export function buildProgram(out: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command();
  program
    .name("ensoul")
    .description("Ensoul sidecar: AI characters for Godot, served over protobuf/WebSocket")
    .version(SERVER_VERSION)
    .addHelpText("after", EXIT_CODES_HELP)
    .showHelpAfterError(false);
  registerServeCommand(program, out);
  registerInfoCommand(program, out);
  registerPingCommand(program, out);
  registerKeystoreCommand(program, out);
  registerSecurityCommands(program, out);
  registerGenerateCommand(program, out);
  registerPlanCommand(program, out);
  registerBodyCommand(program);
  registerStoreCommands(program);
  registerAuthCommands(program, out);
  return program;
}

/** Runs the CLI and returns the exit code (does not call process.exit itself). */
export async function runCli(argv: string[], out?: (line: string) => void, err: (line: string) => void = (l) => console.error(l)): Promise<number> {
  const program = buildProgram(out);
  program.exitOverride();
  const overrideAll = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(overrideAll);
  };
  overrideAll(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Services raise their own failures through commander with codes "ensoul.<service>.…"
      // and their exit code; commander's own errors are usage errors.
      if (e.code.startsWith("ensoul.")) return e.exitCode;
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const error = toEnsoulError(e);
    err(`ensoul: ${error.message}`);
    return exitCodeFor(error.code, error.field);
  }
}

function isMain(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? "")).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
