import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SecurityService } from "./index.js";
import { beginMasterKeyRotation } from "./master-key.js";
import { RecordingAudit, rejection, startSecurity, tempDataDir } from "./security.testkit.js";

let data: ReturnType<typeof tempDataDir>;
let audit: RecordingAudit;
let service: SecurityService;

const restart = async (): Promise<void> => {
  await service.close();
  service = await startSecurity(data.dir, audit);
};
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

beforeEach(async () => {
  data = tempDataDir();
  audit = new RecordingAudit();
  service = await startSecurity(data.dir, audit);
});
afterEach(async () => {
  await service.close();
  data.remove();
});

describe("transit", () => {
  it("encrypts with the key's version in the ciphertext and decrypts it back", async () => {
    const transit = service.transitFor("designer-1");
    const made = await transit.encrypt("saves", Buffer.from("player 1 inventory"));
    expect(made.keyVersion).toBe(1);
    expect(made.ciphertext).toMatch(/^ensoul:v1:[A-Za-z0-9+/]+=*$/);
    expect(made.ciphertext).not.toContain(Buffer.from("player 1 inventory").toString("base64"));
    expect(text(await transit.decrypt("saves", made.ciphertext))).toBe("player 1 inventory");
  });

  it("after a rotation encrypts with the new version, and old ciphertext still decrypts", async () => {
    const transit = service.transitFor("admin");
    const old = await transit.encrypt("saves", Buffer.from("old data"));
    expect(await transit.rotate("saves")).toEqual({ name: "saves", latestVersion: 2, versions: [1, 2] });
    const fresh = await transit.encrypt("saves", Buffer.from("new data"));
    expect(fresh.ciphertext).toMatch(/^ensoul:v2:/);
    expect(text(await transit.decrypt("saves", old.ciphertext))).toBe("old data");
    const rewrapped = await transit.rewrap("saves", old.ciphertext);
    expect(rewrapped.keyVersion).toBe(2);
    expect(text(await transit.decrypt("saves", rewrapped.ciphertext))).toBe("old data");
  });

  it("still decrypts after a restart and a master key rotation (the data keys are only re-wrapped)", async () => {
    const made = await service.transitFor("admin").encrypt("saves", Buffer.from("kept"));
    await service.close();
    beginMasterKeyRotation(data.dir, {});
    service = await startSecurity(data.dir, audit);
    expect(text(await service.transitFor("admin").decrypt("saves", made.ciphertext))).toBe("kept");
    await restart();
    expect(text(await service.transitFor("admin").decrypt("saves", made.ciphertext))).toBe("kept");
  });

  it("refuses ciphertext that was altered, or given with another context or key", async () => {
    const transit = service.transitFor("admin");
    const made = await transit.encrypt("saves", Buffer.from("data"), Buffer.from("slot-1"));
    expect(text(await transit.decrypt("saves", made.ciphertext, Buffer.from("slot-1")))).toBe("data");
    const wrongContext = await rejection(transit.decrypt("saves", made.ciphertext, Buffer.from("slot-2")));
    expect(wrongContext).toMatchObject({ code: "INVALID_ARGUMENT", field: "ciphertext" });
    const box = Buffer.from(made.ciphertext.split(":")[2]!, "base64");
    box[box.length - 1]! ^= 1;
    const altered = `ensoul:v1:${box.toString("base64")}`;
    expect((await rejection(transit.decrypt("saves", altered, Buffer.from("slot-1")))).message).toMatch(/altered/);
    await transit.encrypt("other", Buffer.from("x"));
    expect((await rejection(transit.decrypt("other", made.ciphertext, Buffer.from("slot-1")))).code).toBe("INVALID_ARGUMENT");
  });

  it("answers NOT_FOUND for a key never used and INVALID_ARGUMENT for malformed or foreign ciphertext", async () => {
    const transit = service.transitFor("admin");
    expect((await rejection(transit.decrypt("nope", "ensoul:v1:AAAA"))).code).toBe("NOT_FOUND");
    expect((await rejection(transit.rotate("nope"))).code).toBe("NOT_FOUND");
    await transit.encrypt("k", Buffer.from("x"));
    expect((await rejection(transit.decrypt("k", "garbage"))).code).toBe("INVALID_ARGUMENT");
    expect((await rejection(transit.decrypt("k", "vault:v1:AAAA"))).message).toMatch(/made by "vault"/);
    expect((await rejection(transit.decrypt("k", "ensoul:v7:AAAA"))).message).toMatch(/no version 7/);
    expect((await rejection(transit.encrypt("Bad Name", Buffer.from("x")))).field).toBe("key");
  });

  it("records each use of a key, without plaintext", async () => {
    const transit = service.transitFor("designer-1");
    const made = await transit.encrypt("saves", Buffer.from("plain words"));
    await transit.decrypt("saves", made.ciphertext);
    expect(audit.kinds()).toEqual(["transit.encrypt:ok", "transit.decrypt:ok"]);
    expect(audit.events[1]).toMatchObject({ subject: "designer-1", detail: { key: "saves", version: 1 } });
    expect(JSON.stringify(audit.events)).not.toContain("plain words");
  });
});
