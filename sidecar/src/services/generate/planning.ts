/**
 * A character's goals and behaviour in the planner's terms: goals as todo items (tasks
 * `[name, ...args]` and unigoals `[variable, argument, value]`, GTPyhop's shapes), the routine
 * entry for a time of day, and the method preferences the reactions give each task. Plain data
 * out, so the runtime can hand it to the planner service without this service knowing it.
 */
import type { Character, RoutineEntry } from "./character.js";

export type PlannerValue = string | number | boolean;
/** A task or a unigoal, as a todo item. */
export type PlannerTodoItem = readonly [string, ...PlannerValue[]];

/** "0" → 0, "-2.5" → -2.5, "true" → true, "false" → false; other text stays text. */
export function plannerValue(text: string): PlannerValue {
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** The character's goals as todo items, most urgent first (ties keep the character's order). */
export function goalTodo(character: Character, minPriority = 1): PlannerTodoItem[] {
  return character.goals
    .map((goal, order) => ({ goal, order }))
    .filter(({ goal }) => goal.priority >= minPriority)
    .sort((a, b) => b.goal.priority - a.goal.priority || a.order - b.order)
    .map(({ goal }): PlannerTodoItem => {
      if (goal.kind === "task") {
        const [name, ...args] = goal.task ?? ["idle"];
        return [name, ...args.map(plannerValue)];
      }
      return [goal.variable ?? "unknown", plannerValue(goal.argument ?? ""), plannerValue(goal.value ?? "")];
    });
}

function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/**
 * The routine entry in force at `time` ("HH:MM"): the latest one that started at or before it,
 * wrapping to the previous day's last entry before the first one starts.
 */
export function routineAt(character: Character, time: string): RoutineEntry {
  const routine = character.behaviour.routine;
  const now = minutesOf(time);
  let current: RoutineEntry | undefined;
  let latest: RoutineEntry | undefined;
  for (const entry of routine) {
    const start = minutesOf(entry.time);
    if (start <= now && (current === undefined || start >= minutesOf(current.time))) current = entry;
    if (latest === undefined || start >= minutesOf(latest.time)) latest = entry;
  }
  // The schema guarantees at least one entry.
  return (current ?? latest)!;
}

/** For each task a reaction starts, its preferred methods in order (the first reaction wins). */
export function methodPreferences(character: Character): Record<string, string[]> {
  const preferences: Record<string, string[]> = {};
  for (const reaction of character.behaviour.reactions) {
    const task = reaction.task[0];
    if (!(task in preferences)) preferences[task] = [...reaction.preferMethods];
  }
  return preferences;
}
