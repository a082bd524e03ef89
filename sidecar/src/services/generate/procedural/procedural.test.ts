import { describe, expect, it } from "vitest";
import { ATTRIBUTE_NAMES, type Character } from "../character.js";
import { characterDeltas, collectCharacter, createProceduralGenerator, generateProceduralCharacter, validateCharacter } from "../index.js";
import type { CharacterRequest } from "../request.js";
import { composeCharacter } from "./compose.js";
import { lowerFirst } from "./grammar.js";
import { ROLES } from "./roles.js";
import { SPECIES } from "./species.js";
import { NEUTRAL_VOICE, TRAITS } from "./traits.js";

const DEBTOR = "a cowardly dwarven blacksmith who owes money to the thieves' guild";

function make(prompt: string, seed: number, extra: Partial<CharacterRequest> = {}): Character {
  return generateProceduralCharacter({ prompt, seed, generator: "procedural", ...extra });
}

const PROMPTS = [
  "",
  DEBTOR,
  "an old elven priestess searching for her lost brother",
  "a young orc hunter seeking revenge against the bandit king",
  "a cheerful gnome bard in love with the baker",
  "a suspicious halfling thief who works for the Shadow Syndicate and is afraid of dogs",
  "a greedy goblin merchant",
  "a brave human knight named Aldric Vane",
];

describe("procedural generator over 1,000 seeds", () => {
  it("writes 1,000 schema-valid characters and prints their diversity", () => {
    const names = new Set<string>();
    const roles = new Set<string>();
    const species = new Set<string>();
    const traitSets = new Set<string>();
    const greetings = new Set<string>();
    for (let seed = 0; seed < 1000; seed++) {
      const character = composeCharacter({ prompt: "", seed, generator: "procedural" });
      expect(() => validateCharacter(character), `seed ${seed}`).not.toThrow();
      names.add(character.name);
      roles.add(character.role);
      species.add(character.species);
      traitSets.add([...character.personality.traits].sort().join("+"));
      greetings.add(character.dialogue.greeting);
    }
    console.log(
      `procedural diversity over 1000 seeds: ${names.size} distinct names, ${roles.size} roles, ` +
        `${species.size} species, ${traitSets.size} trait combinations, ${greetings.size} greetings`,
    );
    expect(names.size).toBeGreaterThanOrEqual(300);
    expect(roles.size).toBe(ROLES.length);
    expect(species.size).toBe(SPECIES.length);
    expect(traitSets.size).toBeGreaterThanOrEqual(150);
  });

  it("stays valid for varied prompts and hints", () => {
    for (let seed = 0; seed < 400; seed++) {
      const prompt = PROMPTS[seed % PROMPTS.length]!;
      const hints: Partial<CharacterRequest> =
        seed % 5 === 0 ? { species: "lizardfolk", role: "glassblower", pronouns: "it/its", level: 20 } : seed % 7 === 0 ? { name: "Mirabel Quint" } : {};
      expect(() => validateCharacter(make(prompt, seed, hints)), `seed ${seed} prompt "${prompt}"`).not.toThrow();
    }
  });
});

describe("determinism", () => {
  it("gives the same bytes for the same seed and prompt", () => {
    for (let seed = 0; seed < 50; seed++) {
      const prompt = PROMPTS[seed % PROMPTS.length]!;
      expect(JSON.stringify(make(prompt, seed))).toBe(JSON.stringify(make(prompt, seed)));
    }
  });

  it("gives different characters for different seeds, prompts and hints", () => {
    const base = JSON.stringify(make(DEBTOR, 1));
    expect(JSON.stringify(make(DEBTOR, 2))).not.toBe(base);
    expect(JSON.stringify(make(DEBTOR + ".", 1))).not.toBe(base);
    expect(JSON.stringify(make(DEBTOR, 1, { level: 3 }))).not.toBe(base);
    // Both 32-bit halves of a large seed count.
    expect(JSON.stringify(make("", 2 ** 32 + 5))).not.toBe(JSON.stringify(make("", 5)));
  });

  it("streams text that joins to the character's JSON, field by field, then the character", async () => {
    const generator = createProceduralGenerator();
    const request: CharacterRequest = { prompt: DEBTOR, seed: 42, generator: "procedural" };
    let text = "";
    const fields: string[] = [];
    let done: Character | undefined;
    for await (const delta of generator.generate(request)) {
      if (delta.type === "text") text += delta.text;
      else if (delta.type === "field") {
        fields.push(delta.field);
        // A field is announced only once its text has been sent.
        expect(text).toContain(`"${delta.field}":${JSON.stringify(delta.value)}`);
      } else done = delta.character;
    }
    expect(done).toBeDefined();
    expect(text).toBe(JSON.stringify(done));
    expect(JSON.parse(text)).toEqual(make(DEBTOR, 42));
    expect(fields).toEqual(Object.keys(done!));
    expect(await collectCharacter(generator.generate(request))).toEqual(done);
  });

  it("stops with CANCELLED when the signal is aborted mid-stream", async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const run = async (): Promise<void> => {
      for await (const delta of createProceduralGenerator().generate({ prompt: "", seed: 1, generator: "procedural" }, { signal: controller.signal })) {
        seen.push(delta.type);
        if (seen.length === 3) controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: "CANCELLED" });
    expect(seen.length).toBe(3);
  });

  it("refuses a bad request before generating", async () => {
    const stream = createProceduralGenerator().generate({ prompt: "", seed: -1, generator: "procedural" });
    await expect(collectCharacter(stream)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "seed" });
  });

  it("writes characterDeltas text equal to JSON.stringify for many seeds", () => {
    for (let seed = 0; seed < 30; seed++) {
      const character = make(PROMPTS[seed % PROMPTS.length]!, seed);
      let text = "";
      for (const delta of characterDeltas(character)) if (delta.type === "text") text += delta.text;
      expect(text).toBe(JSON.stringify(character));
    }
  });
});

describe("prompt honouring", () => {
  it("makes the cowardly dwarven blacksmith who owes the thieves' guild", () => {
    for (let seed = 0; seed < 40; seed++) {
      const c = make(DEBTOR, seed);
      expect(c.species).toBe("dwarf");
      expect(c.role).toBe("blacksmith");
      expect(c.personality.traits[0]).toBe("cowardly");
      expect(c.personality.traits).not.toContain("brave");
      const debt = c.goals.find((g) => g.kind === "goal" && g.variable === "debt");
      expect(debt?.argument).toBe("thieves_guild");
      expect(debt?.value).toBe("0");
      expect(c.personality.bonds.some((b) => b.includes("Thieves' Guild"))).toBe(true);
      expect(c.behaviour.reactions.find((r) => r.trigger === "creditor_arrives")?.task).toEqual(["face_creditor", "thieves_guild"]);
      // A coward's first choice when threatened is not to fight.
      const threatened = c.behaviour.reactions.find((r) => r.trigger === "threatened")!;
      expect(["flee", "hide", "plead", "surrender", "pay", "call_guards"]).toContain(threatened.preferMethods[0]);
    }
  });

  it("reads pronouns, age bands, names and other motifs", () => {
    const priestess = make("an old elven priestess searching for her lost brother", 3);
    expect(priestess.species).toBe("elf");
    expect(priestess.role).toBe("priest");
    expect(priestess.pronouns).toBe("she/her");
    expect(priestess.age).toBeGreaterThanOrEqual(SPECIES.find((s) => s.id === "elf")!.oldAge);
    expect(priestess.goals.some((g) => g.task?.[0] === "find" && g.description === "Find her lost brother")).toBe(true);

    const orc = make("a young orc hunter seeking revenge against the bandit king", 3);
    expect([orc.species, orc.role]).toEqual(["orc", "hunter"]);
    expect(orc.level).toBeLessThanOrEqual(3);
    expect(orc.goals[0]?.task).toEqual(["take_revenge", "bandit_king"]);

    const knight = make("a brave human knight named Aldric Vane", 3);
    expect(knight.name).toBe("Aldric Vane");
    expect(knight.backstory[0]).toMatch(/^Aldric Vane\b.* born in /);

    const thief = make("a suspicious halfling thief who works for the Shadow Syndicate and is afraid of dogs", 3);
    expect(thief.goals.some((g) => g.task?.[0] === "serve" && g.task[1] === "shadow_syndicate")).toBe(true);
    expect(thief.goals.some((g) => g.variable === "avoiding" && g.argument === "dogs")).toBe(true);
    expect(thief.personality.flaws[0]).toBe("Terrified of dogs.");
  });

  it("lets hints win over the prompt", () => {
    const c = make(DEBTOR, 9, { species: "elf", role: "scholar", name: "Quill", pronouns: "they/them", level: 12 });
    expect([c.species, c.role, c.name, c.pronouns, c.level]).toEqual(["elf", "scholar", "Quill", "they/them", 12]);
    const odd = make("", 9, { species: "lizardfolk", role: "glassblower" });
    expect([odd.species, odd.role]).toEqual(["lizardfolk", "glassblower"]);
  });
});

describe("coherence", () => {
  it("names the character, the origin and every goal in the backstory", () => {
    for (let seed = 0; seed < 200; seed++) {
      const c = make(PROMPTS[seed % PROMPTS.length]!, seed);
      const story = c.backstory.join("\n");
      const species = SPECIES.find((s) => s.id === c.species)!;
      expect(story).toContain(c.name);
      expect(species.homelands.some((h) => c.backstory[0]!.includes(`born in ${h}`)), c.backstory[0]).toBe(true);
      for (const goal of c.goals) expect(story).toContain(lowerFirst(goal.description));
    }
  });

  it("orders attributes by what the class needs", () => {
    let wizards = 0;
    let smiths = 0;
    for (let seed = 0; seed < 200; seed++) {
      const w = make("a wizard", seed).attributes;
      const b = make("a blacksmith", seed).attributes;
      if (w.intelligence > w.strength) wizards++;
      if (b.strength > b.intelligence) smiths++;
      for (const name of ATTRIBUTE_NAMES) expect(w[name]).toBeGreaterThanOrEqual(1);
    }
    expect(wizards).toBeGreaterThanOrEqual(190);
    expect(smiths).toBeGreaterThanOrEqual(190);
  });

  it("gives each class its own skills, with its main skill first", () => {
    for (const role of ROLES) {
      const c = make("", 11, { role: role.id });
      expect(c.skills[0]?.name).toBe(role.skills[0]![0]);
      for (const skill of c.skills) expect(role.skills.map(([n]) => n)).toContain(skill.name);
    }
  });

  it("keeps appearance within the species' ranges", () => {
    for (const species of SPECIES) {
      for (let seed = 0; seed < 30; seed++) {
        const a = make("", seed, { species: species.id }).appearance;
        expect(a.heightM).toBeGreaterThanOrEqual(species.heightM[0]);
        expect(a.heightM).toBeLessThanOrEqual(species.heightM[1]);
        expect(a.legLength).toBeGreaterThanOrEqual(species.legLength[0]);
        expect(a.legLength).toBeLessThanOrEqual(species.legLength[1]);
        expect(species.builds.map(([b]) => b)).toContain(a.build);
      }
    }
  });

  it("speaks in the voice of its first voiced trait", () => {
    for (const trait of TRAITS.filter((t) => t.voice !== undefined)) {
      const keyword = trait.keywords[0]!;
      for (let seed = 0; seed < 5; seed++) {
        const c = make(`a ${keyword} farmer named Tam`, seed);
        expect(c.personality.traits[0]).toBe(trait.id);
        const fill = (line: string): string => line.replace("{name}", "Tam").replace("{role}", "farmer").replace("{work}", "the fields");
        expect(trait.voice!.greeting.map(fill)).toContain(c.dialogue.greeting);
        expect(trait.voice!.barks.fleeing.map(fill)).toContain(c.dialogue.barks.fleeing[0]);
      }
    }
  });

  it("gives a character without a voiced trait from the prompt a voiced one anyway", () => {
    for (let seed = 0; seed < 50; seed++) {
      const c = make("an honest lazy miner", seed);
      expect(c.personality.traits.slice(0, 2)).toEqual(["honest", "lazy"]);
      const added = TRAITS.find((t) => t.id === c.personality.traits[2]);
      expect(added?.voice).toBeDefined();
      expect(added!.voice!.greeting.map((g) => g.replace("{name}", c.name.split(" ")[0]!).replace("{role}", "miner"))).toContain(c.dialogue.greeting);
      expect(NEUTRAL_VOICE.greeting).not.toContain(c.dialogue.greeting);
    }
  });

  it("keeps the routine in time order", () => {
    for (let seed = 0; seed < 100; seed++) {
      const times = make(PROMPTS[seed % PROMPTS.length]!, seed).behaviour.routine.map((r) => r.time);
      const minutes = times.map((t) => {
        const m = Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
        return m < 180 ? m + 1440 : m;
      });
      expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
    }
  });
});
