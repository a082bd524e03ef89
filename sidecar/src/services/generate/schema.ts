/**
 * Validation of character documents against shared-schema/json/character.schema.json (JSON
 * Schema 2020-12, compiled once with ajv), plus the two rules that the schema's decoder-friendly
 * subset cannot say: a goal of kind "task" carries `task` and a goal of kind "goal" carries
 * `variable`/`argument`/`value` (and not the other); and every planner task's name is an
 * identifier.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { EnsoulError } from "../../lib/errors.js";
import type { Character } from "./character.js";

/** Where the schema lives: the same relative path from src/ and from dist/. */
const SCHEMA_URL = new URL("../../../../shared-schema/json/character.schema.json", import.meta.url);

const TASK_NAME = /^[a-z][a-z0-9_]*$/;

let compiled: { schema: Record<string, unknown>; validate: ValidateFunction } | undefined;

function compiledSchema(): { schema: Record<string, unknown>; validate: ValidateFunction } {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: true, allErrors: false });
    compiled = { schema, validate: ajv.compile(schema) };
  }
  return compiled;
}

/** The character JSON Schema as a plain object (for a constrained decoder or a client). */
export function characterSchema(): Record<string, unknown> {
  return compiledSchema().schema;
}

/**
 * Returns `doc` as a Character when it is one; otherwise throws INVALID_ARGUMENT whose `field`
 * is the JSON path of the first problem (e.g. `goals[1].task`) and whose message says what is
 * wrong there.
 */
export function validateCharacter(doc: unknown): Character {
  const { validate } = compiledSchema();
  if (!validate(doc)) {
    const error = validate.errors?.[0];
    if (error === undefined) throw new EnsoulError("INVALID_ARGUMENT", "character is not valid");
    const field = errorPath(error);
    throw new EnsoulError("INVALID_ARGUMENT", `character ${field || "document"}: ${errorText(error)}`, {
      field: field || "character",
    });
  }
  const character = doc as unknown as Character;
  checkPlannerRules(character);
  return character;
}

/** True when `doc` is a valid character; never throws. */
export function isValidCharacter(doc: unknown): boolean {
  try {
    validateCharacter(doc);
    return true;
  } catch {
    return false;
  }
}

function checkPlannerRules(character: Character): void {
  character.goals.forEach((goal, i) => {
    const at = `goals[${i}]`;
    if (goal.kind === "task") {
      if (goal.task === undefined) invalid(`${at}.task`, "a goal of kind \"task\" needs task");
      const extra = (["variable", "argument", "value"] as const).find((k) => goal[k] !== undefined);
      if (extra !== undefined) invalid(`${at}.${extra}`, `a goal of kind "task" has no ${extra}`);
      checkTaskName(goal.task, `${at}.task`);
    } else {
      const missing = (["variable", "argument", "value"] as const).find((k) => goal[k] === undefined);
      if (missing !== undefined) invalid(`${at}.${missing}`, `a goal of kind "goal" needs ${missing}`);
      if (goal.task !== undefined) invalid(`${at}.task`, "a goal of kind \"goal\" has no task");
    }
  });
  character.behaviour.routine.forEach((entry, i) => checkTaskName(entry.task, `behaviour.routine[${i}].task`));
  character.behaviour.reactions.forEach((entry, i) =>
    checkTaskName(entry.task, `behaviour.reactions[${i}].task`),
  );
}

function checkTaskName(task: readonly string[], at: string): void {
  if (!TASK_NAME.test(task[0] ?? "")) {
    invalid(`${at}[0]`, "a task's name is lower case letters, digits and underscores, starting with a letter");
  }
}

function invalid(field: string, text: string): never {
  throw new EnsoulError("INVALID_ARGUMENT", `character ${field}: ${text}`, { field });
}

/** ajv's JSON pointer ("/goals/1/task") as a dotted path ("goals[1].task"), naming the key at fault. */
function errorPath(error: ErrorObject): string {
  const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const key = params.missingProperty ?? params.additionalProperty;
  if (key !== undefined) segments.push(key);
  let path = "";
  for (const segment of segments) {
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === "" ? segment : `.${segment}`;
  }
  return path;
}

function errorText(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (params.missingProperty !== undefined) return "is required";
  if (params.additionalProperty !== undefined) return "is not a field of the schema";
  if (error.keyword === "enum") {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  return error.message ?? "is not valid";
}
