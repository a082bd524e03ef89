import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { checkDomainId, fileDomainStore } from "./stores.js";

const made: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ensoul-domains-"));
  made.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("fileDomainStore", () => {
  it("replaces a domain in place and leaves no temporary file behind", () => {
    const dir = path.join(tempDir(), "domains");
    const store = fileDomainStore(dir);
    store.put({ id: "travel", json: '{"name":"a"}' });
    store.put({ id: "travel", json: '{"name":"b"}' });
    store.put({ id: "blocks", json: "{}" });
    expect(readdirSync(dir).sort()).toEqual(["blocks.json", "travel.json"]);
    expect(store.all()).toEqual([
      { id: "blocks", json: "{}" },
      { id: "travel", json: '{"name":"b"}' },
    ]);
  });

  it("lists only files named like a domain, and nothing for a missing directory", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, ".travel.abc.tmp"), "{}");
    writeFileSync(path.join(dir, "notes.txt"), "");
    writeFileSync(path.join(dir, "ok.json"), "{}");
    expect(fileDomainStore(dir).all().map((d) => d.id)).toEqual(["ok"]);
    expect(fileDomainStore(path.join(dir, "absent")).all()).toEqual([]);
  });

  it("answers INTERNAL, not a crash, when the domain cannot be written", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "file"), "");
    const err = (() => {
      try {
        fileDomainStore(path.join(dir, "file")).put({ id: "x", json: "{}" });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(EnsoulError);
    expect(err).toMatchObject({ code: "INTERNAL" });
  });

  it("refuses ids that are not plain file names", () => {
    for (const id of ["", ".hidden", "../up", "a/b", "x".repeat(129)]) {
      expect(() => checkDomainId(id, "domainPut.domainId")).toThrowError(EnsoulError);
    }
    expect(checkDomainId("blocks_htn-2.v1", "domainPut.domainId")).toBe("blocks_htn-2.v1");
  });
});
