/**
 * The grammar the llm generator decodes characters with: the character JSON Schema, plus the two
 * rules of `validateCharacter` that the schema itself does not state (see schema.ts), written
 * in keywords the constraint compiler follows, so constrained output always passes
 * `validateCharacter`:
 * - a goal is one of two closed shapes told apart by `kind` (moved first): "task" with `task`,
 *   "goal" with `variable`, `argument` and `value`;
 * - every planner task's first element (its name) matches `^[a-z][a-z0-9_]*$` (prefixItems).
 */
import { characterSchema } from "../schema.js";
import { compileSchema, type CompileOptions, type GrammarNode } from "./constraint/grammar.js";

type Schema = Record<string, unknown>;

const TASK_NAME = "^[a-z][a-z0-9_]*$";

function withNamedTask(task: Schema): Schema {
  const items = task.items as Schema;
  return { ...task, prefixItems: [{ ...items, pattern: TASK_NAME }] };
}

/** The character schema rewritten for decoding (a new object; the shared one is left alone). */
export function characterDecodingSchema(): Schema {
  const schema = structuredClone(characterSchema()) as Schema;
  const props = schema.properties as Record<string, Schema>;
  const goals = props.goals!;
  const goal = goals.items as Schema;
  const goalProps = goal.properties as Record<string, Schema>;
  const common = { kind: goalProps.kind!, description: goalProps.description!, priority: goalProps.priority! };
  const variant = (kind: string, extra: string[]): Schema => {
    const properties: Record<string, Schema> = { ...common, kind: { type: "string", const: kind } };
    for (const key of extra) properties[key] = key === "task" ? withNamedTask(goalProps.task!) : goalProps[key]!;
    return { type: "object", additionalProperties: false, required: Object.keys(properties), properties };
  };
  goals.items = { oneOf: [variant("task", ["task"]), variant("goal", ["variable", "argument", "value"])] };
  const behaviour = props.behaviour!.properties as Record<string, Schema>;
  for (const list of ["routine", "reactions"]) {
    const entry = (behaviour[list]!.items as Schema).properties as Record<string, Schema>;
    entry.task = withNamedTask(entry.task!);
  }
  return schema;
}

let compiled: GrammarNode | undefined;

/** The compiled character grammar (compiled once per process with default options). */
export function characterGrammar(options?: CompileOptions): GrammarNode {
  if (options !== undefined) return compileSchema(characterDecodingSchema(), options);
  compiled ??= compileSchema(characterDecodingSchema());
  return compiled;
}
