/**
 * The peoples the procedural generator knows: how they are named, where they come from, and the
 * ranges their bodies fall in (what the body generator later turns into a mesh). All word lists
 * and numbers here are our own inventions.
 */
import type { AttributeName, Build } from "../character.js";

export type Range = readonly [min: number, max: number];

export interface SpeciesProfile {
  id: string;
  /** Words in a prompt that name this people (nouns and adjectives). */
  keywords: readonly string[];
  /** Adult age range in years, and the age above which one counts as old. */
  adultAge: Range;
  oldAge: number;
  attributeBonus: Partial<Record<AttributeName, number>>;
  heightM: Range;
  builds: readonly (readonly [Build, number])[];
  shoulderWidth: Range;
  hipWidth: Range;
  armLength: Range;
  legLength: Range;
  headSize: Range;
  skin: readonly string[];
  hair: readonly string[];
  eyes: readonly string[];
  /** Given names are a start plus an end; family names likewise. */
  givenStarts: readonly string[];
  givenEnds: readonly string[];
  familyStarts: readonly string[];
  familyEnds: readonly string[];
  homelands: readonly string[];
  /** Clauses that finish "born in <homeland>, …". */
  childhoods: readonly string[];
}

const HUMAN_SKIN = ["#f1d3bf", "#e0b59a", "#c99672", "#a8754f", "#8a5a3b", "#6b4329", "#4e2f1d"];
const COMMON_HAIR = ["#1b1410", "#3a2418", "#5e3b22", "#8a5a2b", "#b98a4e", "#d8bb7a", "#9b3d1f", "#6f6a66"];
const COMMON_EYES = ["#4a3020", "#6b4a2a", "#3f6e8c", "#5a7d4a", "#7b8a93", "#8a6d2f"];

export const SPECIES: readonly SpeciesProfile[] = [
  {
    id: "human",
    keywords: ["human", "humans", "mannish"],
    adultAge: [17, 70],
    oldAge: 55,
    attributeBonus: {},
    heightM: [1.55, 1.95],
    builds: [["slender", 2], ["lean", 3], ["average", 5], ["athletic", 3], ["stocky", 2], ["heavy", 2]],
    shoulderWidth: [0.9, 1.1],
    hipWidth: [0.9, 1.1],
    armLength: [0.95, 1.05],
    legLength: [0.95, 1.05],
    headSize: [0.95, 1.05],
    skin: HUMAN_SKIN,
    hair: COMMON_HAIR,
    eyes: COMMON_EYES,
    givenStarts: ["Al", "Ber", "Cal", "Dar", "Ed", "Fen", "Gar", "Hal", "Is", "Jor", "Mar", "Ner", "Os", "Ro", "Sel", "Tam", "Wen", "El", "Bri", "Ca"],
    givenEnds: ["ric", "wen", "an", "ia", "old", "ette", "mund", "ys", "a", "en", "win", "da", "rick", "elle", "o"],
    familyStarts: ["Ash", "Black", "Cross", "Fair", "Green", "Hart", "Marl", "Oak", "Red", "Thorn", "Wood", "Mill", "Brook", "Hollow"],
    familyEnds: ["ford", "well", "wood", "by", "ton", "ley", "more", "field", "water", "shaw"],
    homelands: ["the river town of Harrowmere", "the walled city of Casterlow", "a fishing village on the Grey Coast", "the farmlands of Eastwold", "the hill town of Brennock"],
    childhoods: ["the child of a cooper and a washerwoman", "raised by an aunt who kept bees", "the youngest of seven in a crowded house", "the only child of a ferryman", "left at the door of a chapel as a baby"],
  },
  {
    id: "dwarf",
    keywords: ["dwarf", "dwarves", "dwarfs", "dwarven", "dwarvish"],
    adultAge: [40, 300],
    oldAge: 220,
    attributeBonus: { constitution: 2, strength: 1, dexterity: -1 },
    heightM: [1.15, 1.45],
    builds: [["average", 2], ["athletic", 2], ["stocky", 6], ["heavy", 3]],
    shoulderWidth: [1.1, 1.28],
    hipWidth: [1.0, 1.2],
    armLength: [0.95, 1.05],
    legLength: [0.78, 0.9],
    headSize: [1.05, 1.18],
    skin: ["#e8c3a8", "#d3a583", "#b98563", "#94623f", "#6e4528"],
    hair: ["#1e1510", "#4a2b17", "#7a3a1a", "#a0522d", "#c08a4a", "#8c8c8c", "#d8d4cc"],
    eyes: ["#3b2a1c", "#5a4330", "#4b5d6b", "#6b6f4a"],
    givenStarts: ["Bor", "Dur", "Thra", "Gim", "Bal", "Kor", "Dvar", "Ulf", "Hild", "Brum", "Tor", "Grun", "Ska", "Ov"],
    givenEnds: ["in", "ak", "grim", "dal", "rik", "na", "dis", "ur", "ga", "mek", "bek", "hild"],
    familyStarts: ["Stone", "Iron", "Copper", "Ash", "Anvil", "Deep", "Flint", "Granite", "Coal", "Silver", "Hammer"],
    familyEnds: ["beard", "fist", "helm", "delve", "brow", "shield", "vein", "hand", "back", "forge"],
    homelands: ["the deep halls of Khazrum", "the mountain hold of Dunmar", "the mining town of Greyvein", "the sunken citadel of Orlund"],
    childhoods: ["the third child of a family of tunnel-wrights", "raised among the furnace crews", "the child of a clan that had lost its hall", "born to a line of stone-singers"],
  },
  {
    id: "elf",
    keywords: ["elf", "elves", "elven", "elvish", "elfin"],
    adultAge: [100, 700],
    oldAge: 500,
    attributeBonus: { dexterity: 2, intelligence: 1, constitution: -1 },
    heightM: [1.6, 1.95],
    builds: [["slender", 6], ["lean", 4], ["athletic", 2], ["average", 1]],
    shoulderWidth: [0.85, 1.0],
    hipWidth: [0.85, 1.0],
    armLength: [1.0, 1.08],
    legLength: [1.02, 1.12],
    headSize: [0.92, 1.0],
    skin: ["#f6e2d3", "#ead0bb", "#d8b99a", "#b48c6b", "#7f5e47"],
    hair: ["#f2e6c4", "#e0c98a", "#c0c4c8", "#2b1d14", "#6b3d20", "#a34a28"],
    eyes: ["#3c7a5a", "#4f86a8", "#7a6fa0", "#a08040", "#5e8c7a"],
    givenStarts: ["Ael", "Cae", "Ela", "Fae", "Ili", "Lue", "Nai", "Sil", "Tha", "Ys", "Ara", "Mir"],
    givenEnds: ["rion", "wyn", "driel", "lith", "nor", "sael", "thas", "iel", "vaen", "ra"],
    familyStarts: ["Moon", "Silver", "Star", "Dawn", "Leaf", "Mist", "Willow", "Sun", "Dusk"],
    familyEnds: ["whisper", "song", "bough", "brook", "shade", "glade", "petal", "fall"],
    homelands: ["the forest realm of Lythaniel", "the river isles of Caerwen", "the high woods above Mirethal", "a wandering caravan of the Dusk Kin"],
    childhoods: ["raised among archivists who kept the old songs", "the child of a warden of the eastern groves", "brought up in a house of weavers", "born in a winter that lasted three years"],
  },
  {
    id: "halfling",
    keywords: ["halfling", "halflings", "hobbit"],
    adultAge: [20, 120],
    oldAge: 90,
    attributeBonus: { dexterity: 2, charisma: 1, strength: -2 },
    heightM: [0.9, 1.15],
    builds: [["average", 4], ["stocky", 3], ["heavy", 2], ["lean", 1]],
    shoulderWidth: [0.92, 1.05],
    hipWidth: [1.0, 1.15],
    armLength: [0.95, 1.02],
    legLength: [0.85, 0.95],
    headSize: [1.08, 1.2],
    skin: ["#f3d6c0", "#e2b897", "#c8926c", "#9e6c48", "#744b30"],
    hair: ["#3a2418", "#5e3b22", "#8a5a2b", "#b98a4e", "#2a1a12"],
    eyes: ["#5a3b22", "#6b5a2a", "#3f6e5c", "#46607a"],
    givenStarts: ["Bil", "Cor", "Dai", "Fen", "Hob", "Lob", "Mer", "Pip", "Ros", "Tam", "Wil", "Pea"],
    givenEnds: ["bo", "wick", "sy", "lo", "ry", "nel", "ie", "do", "la", "kin"],
    familyStarts: ["Under", "Good", "Barley", "Green", "Honey", "Tuck", "Thistle", "Bram", "Apple"],
    familyEnds: ["hill", "barrel", "foot", "bottle", "bank", "bury", "burrow", "leaf"],
    homelands: ["the Tumbledowns", "the market village of Little Ambry", "a riverboat on the Slow Wend", "the orchard country of Pennyfold"],
    childhoods: ["the eldest of a family of pie-bakers", "raised in a burrow with too many cousins", "the child of a travelling tinker", "brought up by a grandmother who told tall tales"],
  },
  {
    id: "orc",
    keywords: ["orc", "orcs", "orcish", "half-orc", "halforc"],
    adultAge: [14, 60],
    oldAge: 45,
    attributeBonus: { strength: 2, constitution: 1, intelligence: -1 },
    heightM: [1.7, 2.15],
    builds: [["athletic", 4], ["heavy", 3], ["stocky", 2], ["average", 1]],
    shoulderWidth: [1.1, 1.3],
    hipWidth: [0.95, 1.1],
    armLength: [1.02, 1.12],
    legLength: [0.95, 1.02],
    headSize: [0.98, 1.08],
    skin: ["#7d8f5a", "#6a7d4c", "#8a9a6a", "#5b6b48", "#8f8a78", "#6e6a5c"],
    hair: ["#141210", "#2b241c", "#3d2f22", "#555049"],
    eyes: ["#8a2a1a", "#a06a1a", "#5a3b22", "#3a3a2a"],
    givenStarts: ["Gro", "Urz", "Mak", "Shag", "Dur", "Kra", "Bor", "Ug", "Raz", "Yag", "Ghor", "Nar"],
    givenEnds: ["ash", "gul", "nak", "rok", "za", "dush", "mog", "ga", "thak", "ra"],
    familyStarts: ["Skull", "Bone", "Blood", "Tusk", "Stone", "Red", "Broken", "Ash", "Grim"],
    familyEnds: ["splitter", "gnasher", "howl", "maw", "crusher", "fang", "hide", "scar"],
    homelands: ["the steppe camps of the Khar tribes", "the border fort of Gash Rukh", "the scrublands beyond the Wall", "a mercenary camp that moved every season"],
    childhoods: ["raised by a war-chief's cook", "the child of a shaman who read the storms", "the only survivor of a raided camp", "brought up among herders of great boars"],
  },
  {
    id: "gnome",
    keywords: ["gnome", "gnomes", "gnomish"],
    adultAge: [40, 350],
    oldAge: 250,
    attributeBonus: { intelligence: 2, dexterity: 1, strength: -2 },
    heightM: [0.9, 1.12],
    builds: [["slender", 2], ["lean", 3], ["average", 3], ["stocky", 1]],
    shoulderWidth: [0.88, 1.0],
    hipWidth: [0.9, 1.02],
    armLength: [0.95, 1.02],
    legLength: [0.82, 0.92],
    headSize: [1.15, 1.3],
    skin: ["#f0d2bb", "#dbb08e", "#c08a66", "#9a6a48"],
    hair: ["#f2f2f0", "#c8c8c8", "#d9a441", "#b84a2a", "#3a2418", "#6a4a8a"],
    eyes: ["#3f6e8c", "#5a8c4a", "#8a5a2a", "#6a4a8a"],
    givenStarts: ["Bim", "Fiz", "Nim", "Pock", "Tink", "Zan", "Wob", "Quil", "Orl", "Gib"],
    givenEnds: ["ble", "wick", "pin", "sy", "dle", "ro", "nix", "bit", "ella", "o"],
    familyStarts: ["Cog", "Spark", "Gear", "Tumble", "Fizzle", "Quick", "Bright", "Copper"],
    familyEnds: ["whistle", "spring", "bottom", "sprocket", "nose", "widget", "kettle"],
    homelands: ["the burrow-city of Tinkerdell", "a clockwork workshop under Harrowmere", "the crystal caves of Glimmerhollow"],
    childhoods: ["the child of two rival inventors", "raised in a library that was also a bakery", "apprenticed at six to a lens-grinder"],
  },
  {
    id: "goblin",
    keywords: ["goblin", "goblins", "goblinoid"],
    adultAge: [10, 45],
    oldAge: 35,
    attributeBonus: { dexterity: 2, constitution: 1, charisma: -1 },
    heightM: [0.85, 1.15],
    builds: [["slender", 3], ["lean", 4], ["average", 2]],
    shoulderWidth: [0.85, 0.98],
    hipWidth: [0.85, 0.98],
    armLength: [1.05, 1.15],
    legLength: [0.85, 0.95],
    headSize: [1.15, 1.28],
    skin: ["#8aa05a", "#9aae6a", "#7a8a4a", "#a69a5a", "#6a8a6a"],
    hair: ["#141210", "#2b241c", "#4a3a2a", "#6f6a66"],
    eyes: ["#c8a020", "#d06020", "#a02020", "#e0c040"],
    givenStarts: ["Snik", "Grib", "Zog", "Nix", "Skab", "Wug", "Rik", "Mog", "Tib", "Fliz"],
    givenEnds: ["it", "bug", "nob", "ka", "le", "snout", "ik", "wort", "zz"],
    familyStarts: ["Rat", "Mud", "Sly", "Bent", "Crook", "Grub", "Soot", "Rust"],
    familyEnds: ["catcher", "nose", "ear", "finger", "tooth", "eye", "foot"],
    homelands: ["the warrens under the old bridge", "the scrap heaps of Rustmouth", "a goblin market in the marshes"],
    childhoods: ["one of forty in a brood that fought for scraps", "raised by a junk-dealer who sold everything", "the runt of a litter of tunnel-diggers"],
  },
  {
    id: "half-elf",
    keywords: ["half-elf", "halfelf", "half-elven", "half-elves"],
    adultAge: [20, 160],
    oldAge: 120,
    attributeBonus: { charisma: 2, dexterity: 1 },
    heightM: [1.58, 1.9],
    builds: [["slender", 3], ["lean", 4], ["average", 3], ["athletic", 2]],
    shoulderWidth: [0.88, 1.05],
    hipWidth: [0.88, 1.05],
    armLength: [0.98, 1.06],
    legLength: [1.0, 1.08],
    headSize: [0.94, 1.02],
    skin: ["#f2d8c6", "#e0b89c", "#c4946f", "#9a6b4a", "#6e4a32"],
    hair: ["#e8d49a", "#b98a4e", "#5e3b22", "#2b1d14", "#a34a28", "#c0c4c8"],
    eyes: ["#3c7a5a", "#4f86a8", "#6b4a2a", "#7a6fa0"],
    givenStarts: ["Ari", "Cel", "Dae", "Lia", "Mae", "Ren", "Sor", "Tal", "Vel", "Ely"],
    givenEnds: ["an", "wen", "dra", "ion", "is", "ra", "ith", "en", "lyn"],
    familyStarts: ["Ash", "Wind", "Fair", "Moon", "Thorn", "Mist", "Brook"],
    familyEnds: ["walker", "ward", "song", "wood", "field", "vale"],
    homelands: ["the border town of Tessary, between forest and plough", "the port of Caelmouth", "a roadside inn at the edge of the elf-woods"],
    childhoods: ["never quite at home among either parent's people", "raised by an elven father after the plague took the mother", "the child of a human trader and an elven singer"],
  },
];

/** The profile used when a hint names a people we have no profile for. */
export const DEFAULT_SPECIES: SpeciesProfile = SPECIES[0] as SpeciesProfile;
