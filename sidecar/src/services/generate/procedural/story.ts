/**
 * The character's story: motifs resolved from the prompt (or rolled), the goals they lead to (as
 * planner tasks and goals), bonds, ideals, flaws and the backstory that names the character,
 * where they come from and every goal they hold.
 */
import type { Goal } from "../character.js";
import type { Draft, StoryMotif } from "./draft.js";
import { capitalise, joinList, lowerFirst, plannerId } from "./grammar.js";
import type { Motif, MotifKind } from "./prompt.js";
import type { Rng } from "./prng.js";

const DEFAULT_TARGETS: Record<MotifKind, readonly string[]> = {
  debt: ["a moneylender called Old Varga", "the Merchants' Guild", "the Copper Hand gang", "a temple that lends at interest", "a cousin who never lets it go"],
  revenge: ["the bandit chief who burned the family home", "the noble who hanged an innocent friend", "the rival who stole a life's work", "the mercenary captain who left a squad to die"],
  search: ["a missing sister", "a stolen family heirloom", "a mentor who vanished one winter", "the map to a forgotten vault"],
  love: ["the miller's eldest child", "a travelling singer", "a captain of the city watch", "a childhood friend who married another"],
  loyalty: ["the Order of the Lantern", "the old baron", "the Harbour Brotherhood", "the Queen's Eyes"],
  fear: ["deep water", "the dead", "fire", "the witch in the marsh", "the city watch"],
  secret: [""],
};

const DETAILS: Record<MotifKind, readonly string[]> = {
  debt: ["to cover a venture that failed", "to pay a healer during a fever winter", "to rebuild after a fire", "to settle gambling losses", "to buy tools and a place to work"],
  revenge: ["and has not slept well since", "and keeps a list of every wrong", "and practises for the day they meet again"],
  search: ["and follows every rumour", "and asks every traveller for news", "and has spent most of a fortune on the search"],
  love: ["but has never found the courage to say so", "and writes letters that are never sent", "and finds every excuse to be near"],
  loyalty: ["and carries its token everywhere", "and would lie for it without a second thought", "and reports to it in secret"],
  fear: ["since a bad night long ago", "and goes out of the way to avoid it", "and wakes from dreams about it"],
  secret: ["once rode with a band of outlaws", "was born the heir of a disgraced noble house", "killed a rival in a duel and fled under a new name", "stole the relic the temple still searches for", "can hear the whispers of the dead"],
};

/** Turns the prompt's motifs into story motifs; with none, sometimes rolls one for colour. */
export function resolveMotifs(rng: Rng, motifs: readonly Motif[], possessive: string): StoryMotif[] {
  const kinds: readonly Motif[] =
    motifs.length > 0 ? motifs : rng.chance(0.65) ? [{ kind: rng.pick(["debt", "revenge", "search", "love", "loyalty", "fear", "secret"] as const) }] : [];
  return kinds.slice(0, 3).map((motif) => {
    const target = motif.target === undefined ? rng.pick(DEFAULT_TARGETS[motif.kind]) : motif.own ? `${possessive} ${motif.target}` : motif.target;
    return {
      kind: motif.kind,
      target,
      targetId: motif.kind === "secret" ? "past" : plannerId(target),
      amount: 10 * rng.int(3, 60),
      detail: rng.pick(DETAILS[motif.kind]),
    };
  });
}

/** Goals in priority order: what the motifs demand first, then the role's ambition, then greed. */
export function composeGoals(d: Draft): Goal[] {
  const goals: Goal[] = [];
  for (const m of d.motifs) {
    switch (m.kind) {
      case "debt":
        goals.push({ description: `Pay off the ${m.amount} gold crowns owed to ${m.target}`, kind: "goal", priority: 5, variable: "debt", argument: m.targetId, value: "0" });
        goals.push({ description: `Earn ${m.amount} gold crowns before ${m.target} loses patience`, kind: "task", priority: 4, task: ["earn_gold", String(m.amount)] });
        break;
      case "revenge":
        goals.push({ description: `Take revenge on ${m.target}`, kind: "task", priority: 4, task: ["take_revenge", m.targetId] });
        break;
      case "search":
        goals.push({ description: `Find ${m.target}`, kind: "task", priority: 4, task: ["find", m.targetId] });
        break;
      case "love":
        goals.push({ description: `Win the heart of ${m.target}`, kind: "goal", priority: 3, variable: "courting", argument: m.targetId, value: "accepted" });
        break;
      case "loyalty":
        goals.push({ description: `Serve ${m.target} and keep its trust`, kind: "task", priority: 3, task: ["serve", m.targetId] });
        break;
      case "fear":
        goals.push({ description: `Stay well away from ${m.target}`, kind: "goal", priority: 3, variable: "avoiding", argument: m.targetId, value: "true" });
        break;
      case "secret":
        goals.push({ description: `Keep the secret that ${d.first} ${m.detail}`, kind: "goal", priority: 4, variable: "secret_kept", argument: d.nameId, value: "true" });
        break;
    }
  }
  const [ambition, task] = d.role.ambition;
  goals.push({ description: capitalise(ambition), kind: "task", priority: 2, task: [...task] });
  if (d.traits.some((t) => t.id === "greedy")) {
    goals.push({ description: "Hoard a thousand gold crowns", kind: "goal", priority: 2, variable: "gold", argument: d.nameId, value: "1000" });
  }
  return goals.slice(0, 5);
}

export function composeBonds(d: Draft): string[] {
  const bonds: string[] = [];
  for (const m of d.motifs) {
    switch (m.kind) {
      case "debt":
        bonds.push(`Owes ${m.amount} gold crowns to ${m.target}, who never forgets a debt.`);
        break;
      case "revenge":
        bonds.push(`Swore an oath against ${m.target}.`);
        break;
      case "search":
        bonds.push(`Will not rest until ${m.target} is found.`);
        break;
      case "love":
        bonds.push(`Loves ${m.target}, ${m.detail}.`);
        break;
      case "loyalty":
        bonds.push(`Sworn to ${m.target}.`);
        break;
      case "fear":
        break;
      case "secret":
        bonds.push("Bound to a past that nobody here knows about.");
        break;
    }
  }
  bonds.push(d.rng.pick([`Still sends coin home to ${d.homeland}.`, `Keeps a keepsake from ${d.homeland}.`, `Loyal to the people of ${d.role.workplaceWords}.`, `Proud of the ${d.roleId}'s trade and those who taught it.`]));
  return bonds.slice(0, 3);
}

export function composeIdeals(d: Draft): string[] {
  const ideals = d.traits.map((t) => d.rng.pick(t.ideals));
  return ideals.slice(0, 2);
}

export function composeFlaws(d: Draft): string[] {
  const flaws = d.traits.map((t) => d.rng.pick(t.flaws));
  const fear = d.motifs.find((m) => m.kind === "fear");
  if (fear !== undefined) flaws.unshift(`Terrified of ${fear.target}.`);
  const debt = d.motifs.find((m) => m.kind === "debt");
  if (debt !== undefined && d.traits.some((t) => t.id === "cowardly")) {
    flaws.unshift(`Hides from the collectors of ${debt.target} instead of facing them.`);
  }
  return flaws.slice(0, 3);
}

/** Backstory paragraphs: origin, trade and temperament, the motifs, and the goals in order. */
export function composeBackstory(d: Draft, goals: readonly Goal[]): string[] {
  const { g, first, rng } = d;
  const traits = joinList(d.traits.map((t) => t.id));
  const training = rng.pick(d.role.training);
  const origin = [
    `${d.name} was born in ${d.homeland}, ${d.childhood}. ${capitalise(g.sub)} ${g.is} ${d.age} years old now${d.old ? ", and the years show" : ""}.`,
    `${d.name}, born in ${d.homeland}, ${d.childhood}, has seen ${d.age} years${d.old ? " and feels every one of them" : ""}.`,
    `${d.name} is ${d.age} years old${d.old ? `, old even for a ${d.speciesId}` : ""}, and was born in ${d.homeland}, ${d.childhood}.`,
  ];
  const trade = [
    `${first} learned the ${d.roleId}'s trade ${training}, and for years ${g.sub} ${g.has} ${d.role.workDone}. ` +
      `Those who know ${g.obj} at ${d.role.workplaceWords} call ${g.obj} ${traits}.`,
    `${first} took up the ${d.roleId}'s work ${training}. For years now ${g.sub} ${g.has} ${d.role.workDone}, ` +
      `and folk around ${d.role.workplaceWords} would call ${g.obj} ${traits}.`,
    `Trained ${training}, ${first} has ${d.role.workDone} for as long as anyone remembers. ` +
      `Ask around ${d.role.workplaceWords} and you will hear ${g.obj} called ${traits}.`,
  ];
  const wants = joinList(goals.map((goal) => `to ${lowerFirst(goal.description)}`));
  const aims = [
    `Now ${first} wants ${goals.length > 1 ? "above all " : ""}${wants}.`,
    `What ${first} wants now is ${wants}.`,
    `Above everything, ${first} means ${wants}.`,
  ];
  const paragraphs = [rng.pick(origin), rng.pick(trade)];
  const storyLines = d.motifs.map((m) => motifSentence(d, m));
  if (storyLines.length > 0) paragraphs.push(storyLines.join(" "));
  paragraphs.push(rng.pick(aims));
  return paragraphs;
}

function motifSentence(d: Draft, m: StoryMotif): string {
  const { first, g } = d;
  switch (m.kind) {
    case "debt":
      return `Years ago ${first} borrowed ${m.amount} gold crowns from ${m.target} ${m.detail}, and the debt has only grown heavier since.`;
    case "revenge":
      return `${first} has never forgiven ${m.target}, ${m.detail}.`;
    case "search":
      return `${capitalise(g.sub)} ${g.is} searching for ${m.target}, ${m.detail}.`;
    case "love":
      return `${first} is in love with ${m.target}, ${m.detail}.`;
    case "loyalty":
      return `${first} quietly serves ${m.target}, ${m.detail}.`;
    case "fear":
      return `${first} has been afraid of ${m.target} ${m.detail}.`;
    case "secret":
      return `Few know that ${first} ${m.detail}.`;
  }
}
