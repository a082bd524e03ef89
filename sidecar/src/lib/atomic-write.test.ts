import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic, writeFileAtomicSync } from "./atomic-write.js";

const dir = mkdtempSync(path.join(tmpdir(), "ensoul-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("atomic writes", () => {
  it("replace a file's content whole and leave no temporary file", async () => {
    const file = path.join(dir, "a.json");
    writeFileSync(file, "old");
    await writeFileAtomic(file, "new content");
    expect(readFileSync(file, "utf8")).toBe("new content");
    writeFileAtomicSync(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("create the file with the mode asked for", async () => {
    const file = path.join(dir, "secret");
    writeFileAtomicSync(file, "k", { mode: 0o600, fsync: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await writeFileAtomic(path.join(dir, "secret2"), "k", { mode: 0o600 });
    expect(statSync(path.join(dir, "secret2")).mode & 0o777).toBe(0o600);
  });

  it("leave the old file and no temporary file when the write fails", async () => {
    const missing = path.join(dir, "no-such-dir", "x");
    await expect(writeFileAtomic(missing, "x")).rejects.toThrow(/ENOENT/);
    expect(() => writeFileAtomicSync(missing, "x")).toThrow(/ENOENT/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
