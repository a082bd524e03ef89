import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import { buildBody } from "./build.js";
import { registerBodyCommand } from "./cli.js";
import { inspectBody } from "./inspect.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ensoul-body-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function program(): Command {
  const p = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerBodyCommand(p);
  return p;
}

async function run(...args: string[]): Promise<void> {
  await program().parseAsync(["node", "ensoul", "body", ...args]);
}

describe("ensoul body", () => {
  it("builds the same .glb from a params file as buildBody does", async () => {
    const params = { heightM: 1.8, build: "lean" as const, hairColor: "#aa3311" };
    await writeFile(join(dir, "params.json"), JSON.stringify(params));
    await run("--from", join(dir, "params.json"), "--out", join(dir, "p.glb"));
    const written = await readFile(join(dir, "p.glb"));
    expect(written.equals(Buffer.from(await buildBody(params)))).toBe(true);
  });

  it("takes a character's appearance, ignoring the rest of the character", async () => {
    const character = {
      schemaVersion: 1,
      name: "Brenna Coalhand",
      species: "dwarf",
      appearance: {
        heightM: 1.3,
        build: "stocky",
        shoulderWidth: 1.2,
        hipWidth: 1.1,
        armLength: 0.9,
        legLength: 0.8,
        headSize: 1.1,
        skinColor: "#c9956b",
        hairColor: "#8a2f1a",
        eyeColor: "#3a5f3a",
        clothingColors: ["#5b4636", "#2d2a26"],
      },
    };
    await writeFile(join(dir, "character.json"), JSON.stringify(character));
    await run("--from", join(dir, "character.json"), "--out", join(dir, "c.glb"));
    const body = await inspectBody(new Uint8Array(await readFile(join(dir, "c.glb"))));
    let top = 0;
    for (const p of body.primitives) if (p.material === "Skin") for (let i = 1; i < p.positions.length; i += 3) top = Math.max(top, p.positions[i]!);
    expect(top).toBeCloseTo(1.3, 4);
  });

  it("refuses a params file with a bad field, naming it", async () => {
    await writeFile(join(dir, "bad.json"), JSON.stringify({ heightM: 7 }));
    const err = await run("--from", join(dir, "bad.json"), "--out", join(dir, "x.glb")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnsoulError);
    expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
    expect((err as EnsoulError).field).toBe("heightM");
  });

  it("says clearly when the input is missing or not JSON", async () => {
    const missing = await run("--from", join(dir, "nope.json"), "--out", join(dir, "x.glb")).catch((e: unknown) => e);
    expect((missing as EnsoulError).code).toBe("NOT_FOUND");
    await writeFile(join(dir, "garbage.json"), "{ not json");
    const garbage = await run("--from", join(dir, "garbage.json"), "--out", join(dir, "x.glb")).catch((e: unknown) => e);
    expect((garbage as EnsoulError).code).toBe("INVALID_ARGUMENT");
    expect((garbage as EnsoulError).field).toBe("from");
  });

  it("refuses an --out it cannot write, naming the option, and leaves nothing behind", async () => {
    await writeFile(join(dir, "ok.json"), JSON.stringify({ heightM: 1.7 }));
    const err = await run("--from", join(dir, "ok.json"), "--out", join(dir, "missing", "x.glb")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnsoulError);
    expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
    expect((err as EnsoulError).field).toBe("out");
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("requires --from and --out", async () => {
    const err = await run("--out", join(dir, "x.glb")).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("commander.missingMandatoryOptionValue");
  });
});
