import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import type { GenerateDelta } from "../stream.js";
import { DeltaChannel } from "./channel.js";

async function readAll(channel: DeltaChannel): Promise<{ deltas: GenerateDelta[]; error: unknown }> {
  const deltas: GenerateDelta[] = [];
  try {
    for await (const delta of channel) deltas.push(delta);
  } catch (error) {
    return { deltas, error };
  }
  return { deltas, error: undefined };
}

describe("DeltaChannel", () => {
  it("hands over the deltas pushed before a failure, then the error", async () => {
    const channel = new DeltaChannel();
    channel.push([{ type: "text", text: "{" }]);
    channel.fail(new EnsoulError("INTERNAL", "model failed"));
    const { deltas, error } = await readAll(channel);
    expect(deltas).toEqual([{ type: "text", text: "{" }]);
    expect((error as EnsoulError).code).toBe("INTERNAL");
  });

  it("keeps a finished stream finished when its batch fails afterwards", async () => {
    const channel = new DeltaChannel();
    channel.push([{ type: "text", text: "{}" }]);
    channel.close();
    channel.fail(new EnsoulError("INTERNAL", "another lane's step failed"));
    const { deltas, error } = await readAll(channel);
    expect(deltas).toEqual([{ type: "text", text: "{}" }]);
    expect(error).toBeUndefined();
  });

  it("marks a stream abandoned when its reader stops early, not when it reads to the end", async () => {
    const early = new DeltaChannel();
    early.push([{ type: "text", text: "a" }, { type: "text", text: "b" }]);
    for await (const _delta of early) break;
    expect(early.abandoned).toBe(true);

    const whole = new DeltaChannel();
    whole.push([{ type: "text", text: "a" }]);
    whole.close();
    await readAll(whole);
    expect(whole.abandoned).toBe(false);
  });
});
