/**
 * How the character speaks and acts: dialogue in the voice of the first voiced trait (a second
 * voiced trait adds a line here and there), the daily routine from the role's working hours and
 * the traits' evenings, and reactions whose planner methods are ranked by the traits.
 */
import {
  BARK_SITUATIONS,
  type BarkSituation,
  type Character,
  type PlannerTask,
  type Reaction,
  type ReactionTrigger,
  type RoutineEntry,
} from "../character.js";
import type { Draft } from "./draft.js";
import { capitalise, fill } from "./grammar.js";
import { NEUTRAL_VOICE, type Voice } from "./traits.js";

export function composeDialogue(d: Draft): Character["dialogue"] {
  const voiced = d.traits.flatMap((t) => (t.voice === undefined ? [] : [t.voice]));
  const main: Voice = voiced[0] ?? NEUTRAL_VOICE;
  const second: Voice = voiced[1] ?? NEUTRAL_VOICE;
  const values = { name: d.first, role: d.roleId, work: d.role.workplaceWords };
  const say = (lines: readonly string[]): string => fill(d.rng.pick(lines), values);

  const barks = {} as Record<BarkSituation, string[]>;
  for (const situation of BARK_SITUATIONS) {
    const lines = d.rng.sample(main.barks[situation], d.rng.int(1, 2)).map((line) => fill(line, values));
    if (second !== main && d.rng.chance(0.35)) lines.push(say(second.barks[situation]));
    barks[situation] = dedupe(lines);
  }
  const voiceLines = d.rng.sample(main.lines, 2).map((line) => fill(line, values));
  if (second !== main) voiceLines.push(say(second.lines));
  for (const m of d.motifs) {
    if (m.kind === "debt") voiceLines.push(main === NEUTRAL_VOICE ? `I'll settle with ${m.target}. Soon.` : debtLine(d, m.target));
    if (m.kind === "revenge") voiceLines.push(`One day ${m.target} will answer for it.`);
  }
  return { greeting: say(main.greeting), farewell: say(main.farewell), barks, voiceLines: dedupe(voiceLines).slice(0, 6) };
}

function debtLine(d: Draft, creditor: string): string {
  const trait = d.traits.find((t) => t.voice !== undefined)?.id;
  if (trait === "cowardly") return `If anyone from ${creditor} asks, you never saw me.`;
  if (trait === "greedy") return `Pay ${creditor}? Only once I've made a profit on the money.`;
  if (trait === "brave" || trait === "hot-tempered") return `Let ${creditor} come. I'll pay them what they're owed, and not a copper more.`;
  return `I'll settle with ${creditor}. Soon.`;
}

function dedupe(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}

function hhmm(hour: number): string {
  const h = ((hour % 24) + 24) % 24;
  return `${String(h).padStart(2, "0")}:00`;
}

/** The day from waking to sleeping; night workers sleep into the late morning. */
export function composeRoutine(d: Draft): RoutineEntry[] {
  const [start, end] = d.role.workHours;
  const night = start >= 17;
  const place = d.role.workplace;
  const entries: { hour: number; description: string; task: PlannerTask }[] = [];
  const evening = d.traits.find((t) => t.evening !== undefined)?.evening;
  if (night) {
    entries.push({ hour: 10, description: "Wakes late and eats", task: ["wake_up", "home"] });
    entries.push({ hour: 12, description: "Runs errands at the market", task: ["visit", "market"] });
    if (evening !== undefined) entries.push({ hour: 15, description: evening[0], task: [...evening[1]] });
    entries.push({ hour: start, description: `Works at ${d.role.workplaceWords}`, task: ["work_at", place] });
    entries.push({ hour: 2, description: "Sleeps until late morning", task: ["sleep", "home"] });
  } else {
    entries.push({ hour: start - 1, description: "Wakes and eats breakfast", task: ["wake_up", "home"] });
    entries.push({ hour: start, description: `Works at ${d.role.workplaceWords}`, task: ["work_at", place] });
    entries.push({ hour: 12, description: "Eats at midday", task: ["eat", d.rng.pick(["tavern", "home", place])] });
    entries.push({ hour: 13, description: `Goes back to work at ${d.role.workplaceWords}`, task: ["work_at", place] });
    const [description, task] = evening ?? ["Rests at home", ["relax", "home"] as const];
    entries.push({ hour: end + 1, description, task: [...task] });
    entries.push({ hour: Math.max(end + 3, 22), description: "Goes to bed", task: ["sleep", "home"] });
  }
  if (d.motifs.some((m) => m.kind === "debt") && !night) {
    entries.splice(3, 0, { hour: 11, description: "Takes a long way round to avoid the collectors", task: ["avoid", "collectors"] });
  }
  // Time order, treating hours after midnight as the end of the day.
  const key = (hour: number): number => (hour < 3 ? hour + 24 : hour);
  return entries
    .sort((a, b) => key(a.hour) - key(b.hour))
    .map((e) => ({ time: hhmm(e.hour), description: e.description, task: e.task }));
}

/** Each trigger: the task it starts, its candidate methods and what each method looks like. */
const TRIGGERS: Record<ReactionTrigger, { task: string; about: string; methods: readonly string[] }> = {
  threatened: { task: "handle_threat", about: "threat", methods: ["fight", "intimidate", "flee", "hide", "plead", "call_guards", "pay"] },
  attacked: { task: "defend_self", about: "attacker", methods: ["fight", "flee", "call_guards", "surrender", "plead"] },
  insulted: { task: "answer_insult", about: "speaker", methods: ["retort", "ignore", "brawl", "sulk", "plot_revenge"] },
  robbed: { task: "recover_property", about: "thief", methods: ["chase", "call_guards", "plot_revenge", "let_go"] },
  bribed: { task: "consider_bribe", about: "briber", methods: ["accept", "refuse", "report", "haggle"] },
  ally_hurt: { task: "aid_ally", about: "ally", methods: ["heal", "fight", "call_guards", "pray", "flee"] },
  stranger_approaches: { task: "greet_stranger", about: "stranger", methods: ["welcome", "watch", "hide", "haggle", "ignore"] },
  asked_for_help: { task: "answer_request", about: "asker", methods: ["help", "charge_fee", "refuse", "pray"] },
  sees_gold: { task: "notice_gold", about: "owner", methods: ["steal", "ignore", "haggle", "report"] },
  creditor_arrives: { task: "face_creditor", about: "creditor", methods: ["pay", "plead", "hide", "flee", "fight"] },
};

const METHOD_WORDS: Record<string, string> = {
  fight: "stands and fights",
  intimidate: "tries to frighten them off",
  flee: "runs for it",
  hide: "hides until it passes",
  plead: "begs and bargains",
  call_guards: "shouts for the guards",
  pay: "pays up",
  surrender: "gives up at once",
  retort: "answers with a sharp tongue",
  ignore: "pretends not to notice",
  brawl: "throws a punch",
  sulk: "sulks for days",
  plot_revenge: "quietly plans revenge",
  chase: "gives chase",
  let_go: "lets it go",
  accept: "takes the money",
  refuse: "refuses",
  report: "reports it",
  haggle: "haggles",
  heal: "tends the wounds",
  pray: "prays",
  welcome: "welcomes them warmly",
  watch: "watches them closely",
  help: "helps",
  charge_fee: "names a price first",
  steal: "tries to pocket some",
};

const TRIGGER_WORDS: Record<ReactionTrigger, string> = {
  threatened: "When threatened",
  attacked: "When attacked",
  insulted: "When insulted",
  robbed: "When robbed",
  bribed: "When offered a bribe",
  ally_hurt: "When a friend is hurt",
  stranger_approaches: "When a stranger approaches",
  asked_for_help: "When asked for help",
  sees_gold: "When gold is left unattended",
  creditor_arrives: "When the creditor's people come",
};

/** Reactions with planner methods ranked by the traits (a fighter's trade adds to fighting). */
export function composeReactions(d: Draft): Reaction[] {
  const optional: ReactionTrigger[] = ["insulted", "robbed", "bribed", "ally_hurt", "stranger_approaches", "asked_for_help", "sees_gold"];
  const triggers: ReactionTrigger[] = ["threatened", "attacked", ...d.rng.sample(optional, d.rng.int(1, 3))];
  if (d.motifs.some((m) => m.kind === "debt")) triggers.push("creditor_arrives");
  return triggers.map((trigger) => {
    const spec = TRIGGERS[trigger];
    const scored = spec.methods.map((method) => {
      let score = d.rng.float() * 0.5;
      // The leading trait counts double: it is the one the prompt named first.
      d.traits.forEach((trait, i) => (score += (trait.methodWeights[method] ?? 0) * (i === 0 ? 2 : 1)));
      if (method === "fight" && d.role.fighter) score += 2;
      return { method, score };
    });
    scored.sort((a, b) => b.score - a.score);
    const preferMethods = scored.slice(0, 3).map((s) => s.method);
    const top = preferMethods[0] ?? spec.methods[0] ?? "ignore";
    const argument = trigger === "creditor_arrives" ? (d.motifs.find((m) => m.kind === "debt")?.targetId ?? spec.about) : spec.about;
    return {
      trigger,
      description: capitalise(`${TRIGGER_WORDS[trigger]}, ${d.first} ${METHOD_WORDS[top] ?? top}.`),
      task: [spec.task, argument],
      preferMethods,
    };
  });
}
