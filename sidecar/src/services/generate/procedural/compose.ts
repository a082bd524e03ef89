/**
 * The procedural generator's main line: read the prompt, fix the big decisions (people, role,
 * pronouns, traits, name, age, level, motifs) in a Draft, then write each part of the character
 * from it. One Rng, consumed in a fixed order, so the same request always gives the same bytes.
 */
import { CHARACTER_SCHEMA_VERSION, PRONOUNS, type Character, type Pronouns } from "../character.js";
import type { CharacterRequest } from "../request.js";
import { composeDialogue, composeReactions, composeRoutine } from "./conduct.js";
import type { Draft } from "./draft.js";
import { capitalise, grammarFor, plannerId } from "./grammar.js";
import { composeAbilities, composeAppearance, composeAttributes, composeEquipment, composeSkills } from "./looks.js";
import { Rng, hashText } from "./prng.js";
import { readPrompt, type PromptFacts } from "./prompt.js";
import { ROLES, genericRole, type RoleProfile } from "./roles.js";
import { DEFAULT_SPECIES, SPECIES, type SpeciesProfile } from "./species.js";
import { composeBackstory, composeBonds, composeFlaws, composeGoals, composeIdeals, resolveMotifs } from "./story.js";
import { TRAITS, type TraitProfile } from "./traits.js";

/** How often each people turns up when the prompt names none. */
const SPECIES_WEIGHTS: Readonly<Record<string, number>> = { human: 6, dwarf: 3, elf: 3, halfling: 2, orc: 2, gnome: 2, goblin: 1, "half-elf": 2 };

/** Builds the character a request describes. Pure: the request alone decides the result. */
export function composeCharacter(request: CharacterRequest): Character {
  const salt = hashText(JSON.stringify([request.prompt, request.name ?? "", request.species ?? "", request.role ?? "", request.pronouns ?? "", request.level ?? 0]));
  const rng = new Rng(request.seed, salt);
  const facts = readPrompt(request.prompt);
  const d = draft(rng, request, facts);

  const goals = composeGoals(d);
  return {
    schemaVersion: CHARACTER_SCHEMA_VERSION,
    name: d.name,
    pronouns: d.pronouns,
    species: d.speciesId,
    role: d.roleId,
    level: d.level,
    age: d.age,
    attributes: composeAttributes(d),
    skills: composeSkills(d),
    abilities: composeAbilities(d),
    personality: { traits: d.traits.map((t) => t.id), ideals: composeIdeals(d), bonds: composeBonds(d), flaws: composeFlaws(d) },
    backstory: composeBackstory(d, goals),
    goals,
    dialogue: composeDialogue(d),
    behaviour: { routine: composeRoutine(d), reactions: composeReactions(d) },
    appearance: composeAppearance(d),
    equipment: composeEquipment(d),
  };
}

function draft(rng: Rng, request: CharacterRequest, facts: PromptFacts): Draft {
  const [species, speciesId] = chooseSpecies(rng, request.species, facts.species);
  const [role, roleId] = chooseRole(rng, request.role, facts.role);
  const pronouns: Pronouns = request.pronouns ?? facts.pronouns ?? rng.weighted<Pronouns>([[PRONOUNS[0], 9], [PRONOUNS[1], 9], [PRONOUNS[2], 2]]);
  const g = grammarFor(pronouns);
  const traits = chooseTraits(rng, facts.traits);
  const name = request.name ?? facts.name ?? inventName(rng, species);
  const first = name.split(/\s+/)[0] ?? name;

  const [adultMin, adultMax] = species.adultAge;
  const band = facts.age;
  const age =
    band === "young" ? rng.int(adultMin, Math.round(adultMin + (adultMax - adultMin) * 0.15))
    : band === "old" ? rng.int(species.oldAge, adultMax + Math.round((adultMax - species.oldAge) * 0.3))
    : Math.round(rng.bell(adultMin, adultMax));
  const old = age >= species.oldAge;
  const level = request.level ?? (band === "young" ? rng.int(1, 3) : old ? rng.int(5, 14) : rng.int(1, 10));

  const motifs = resolveMotifs(rng, facts.motifs, g.poss);
  return {
    rng,
    species,
    speciesId,
    role,
    roleId,
    pronouns,
    g,
    name,
    first,
    nameId: plannerId(name),
    age: Math.min(age, 999),
    old,
    level,
    traits,
    homeland: rng.pick(species.homelands),
    childhood: rng.pick(species.childhoods),
    motifs,
  };
}

function chooseSpecies(rng: Rng, hint: string | undefined, fromPrompt: SpeciesProfile | undefined): [SpeciesProfile, string] {
  if (hint !== undefined) {
    const known = SPECIES.find((s) => s.id === hint || s.keywords.includes(hint));
    return known === undefined ? [DEFAULT_SPECIES, hint] : [known, known.id];
  }
  const species = fromPrompt ?? rng.weighted(SPECIES.map((s) => [s, SPECIES_WEIGHTS[s.id] ?? 1] as const));
  return [species, species.id];
}

function chooseRole(rng: Rng, hint: string | undefined, fromPrompt: RoleProfile | undefined): [RoleProfile, string] {
  if (hint !== undefined) {
    const known = ROLES.find((r) => r.id === hint || r.keywords.includes(hint));
    return known === undefined ? [genericRole(hint), hint] : [known, known.id];
  }
  const role = fromPrompt ?? rng.pick(ROLES);
  return [role, role.id];
}

/** The prompt's traits first, then random ones that do not contradict them, two to four in all. */
function chooseTraits(rng: Rng, fromPrompt: readonly TraitProfile[]): TraitProfile[] {
  const traits = fromPrompt.slice(0, 3);
  // With no voiced trait yet, one more is added, and it is voiced, so the dialogue has a personality.
  const hasVoice = traits.some((t) => t.voice !== undefined);
  const want = Math.max(traits.length + (hasVoice ? 0 : 1), rng.int(2, 4));
  let pool = hasVoice ? TRAITS : TRAITS.filter((t) => t.voice !== undefined);
  while (traits.length < want) {
    const candidates = pool.filter((t) => !traits.some((k) => k.id === t.id || k.opposite === t.id || t.opposite === k.id));
    if (candidates.length === 0) break;
    traits.push(rng.pick(candidates));
    pool = TRAITS;
  }
  return traits;
}

function inventName(rng: Rng, species: SpeciesProfile): string {
  const given = capitalise(rng.pick(species.givenStarts) + rng.pick(species.givenEnds));
  const family = capitalise(rng.pick(species.familyStarts) + rng.pick(species.familyEnds));
  return `${given} ${family}`;
}
