/**
 * Loading a Qwen3 ONNX export (the ONNX community layout) and checking that it is one we can
 * drive: the files, config.json's shape numbers, and the graph's inputs and outputs. Anything
 * missing is a FAILED_PRECONDITION that names exactly what is missing.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { EnsoulError } from "../../../lib/errors.js";

export type ExecutionProvider = "cpu" | "cuda";

export interface ModelOptions {
  /** The graph inside the model folder, e.g. "onnx/model_q4.onnx"; default: the first that exists of MODEL_FILES. */
  modelFile?: string;
  /** "cpu" (default) or "cuda" (needs onnxruntime-node's CUDA libraries on the machine). */
  executionProvider?: ExecutionProvider;
  /** Threads for one operator; default: onnxruntime's choice. */
  intraOpThreads?: number;
}

/** The numbers of config.json the decode loop needs. */
export interface ModelShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

/** Sampling defaults from generation_config.json (absent fields stay undefined). */
export interface GenerationDefaults {
  eosTokenIds: number[];
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
}

export interface LoadedModel {
  dir: string;
  modelPath: string;
  session: ort.InferenceSession;
  shape: ModelShape;
  /** The element type of past_key_values / present tensors. */
  kvType: "float32" | "float16";
  generation: GenerationDefaults;
}

export const MODEL_FILES = ["model.onnx", "onnx/model.onnx", "onnx/model_quantized.onnx", "onnx/model_q4.onnx", "onnx/model_fp16.onnx"];
export const REQUIRED_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"];

/** The graph's required input and output names for a model of `layers` layers. */
export function requiredGraphNames(layers: number): { inputs: string[]; outputs: string[] } {
  const inputs = ["input_ids", "attention_mask", "position_ids"];
  const outputs = ["logits"];
  for (let i = 0; i < layers; i++) {
    inputs.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
    outputs.push(`present.${i}.key`, `present.${i}.value`);
  }
  return { inputs, outputs };
}

function missing(what: string, field = "model"): never {
  throw new EnsoulError("FAILED_PRECONDITION", `not a usable Qwen3 ONNX model: ${what}`, { field });
}

/** Reads `name` in the model folder as a JSON object; FAILED_PRECONDITION says what is wrong with it. */
export function readModelJson(dir: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(join(dir, name), "utf8");
  } catch (error) {
    return missing(`cannot read ${name} (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return missing(`${name} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) missing(`${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Reads and checks config.json's numbers (head_dim defaults to hidden_size / num_attention_heads). */
export function readModelShape(dir: string): ModelShape {
  const config = readModelJson(dir, "config.json");
  const int = (key: string): number => {
    const value = config[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) missing(`config.json has no positive integer "${key}"`);
    return value;
  };
  const layers = int("num_hidden_layers");
  const kvHeads = int("num_key_value_heads");
  const vocabSize = int("vocab_size");
  const headDim = config.head_dim !== undefined ? int("head_dim") : int("hidden_size") / int("num_attention_heads");
  return { layers, kvHeads, headDim, vocabSize };
}

function readGenerationDefaults(dir: string): GenerationDefaults {
  const config = existsSync(join(dir, "generation_config.json")) ? readModelJson(dir, "generation_config.json") : {};
  const eos = config.eos_token_id;
  const eosTokenIds = (Array.isArray(eos) ? eos : eos === undefined ? [] : [eos]).filter((v): v is number => typeof v === "number");
  const num = (key: string): number | undefined => (typeof config[key] === "number" ? (config[key] as number) : undefined);
  const defaults: GenerationDefaults = { eosTokenIds };
  const pairs: [keyof GenerationDefaults, string][] = [
    ["temperature", "temperature"],
    ["topK", "top_k"],
    ["topP", "top_p"],
    ["minP", "min_p"],
    ["repetitionPenalty", "repetition_penalty"],
  ];
  for (const [ours, theirs] of pairs) {
    const value = num(theirs);
    if (value !== undefined) (defaults as unknown as Record<string, number>)[ours] = value;
  }
  return defaults;
}

/** Picks the graph file: the one asked for, or the first of MODEL_FILES present. */
export function findModelFile(dir: string, modelFile?: string): string {
  if (modelFile !== undefined) {
    const path = join(dir, modelFile);
    if (!existsSync(path)) missing(`${modelFile} is missing in ${dir}`, "modelFile");
    return path;
  }
  const found = MODEL_FILES.find((file) => existsSync(join(dir, file)));
  if (found === undefined) missing(`no graph in ${dir} (looked for ${MODEL_FILES.join(", ")})`);
  return join(dir, found);
}

/**
 * Loads the model folder `dir`: checks the files, creates the onnxruntime session and checks the
 * graph's inputs and outputs against config.json's layer count.
 */
export async function loadModel(dir: string, options: ModelOptions = {}): Promise<LoadedModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) missing(`${dir} is not a folder`);
  const absent = REQUIRED_FILES.filter((file) => !existsSync(join(dir, file)));
  if (absent.length > 0) missing(`${absent.join(", ")} missing in ${dir}`);
  const shape = readModelShape(dir);
  const modelPath = findModelFile(dir, options.modelFile);
  const provider = options.executionProvider ?? "cpu";
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
  };
  if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, sessionOptions);
  } catch (error) {
    return missing(`onnxruntime cannot load ${modelPath} with the ${provider} provider: ${(error as Error).message}`);
  }
  const required = requiredGraphNames(shape.layers);
  const lackingInputs = required.inputs.filter((name) => !session.inputNames.includes(name));
  const lackingOutputs = required.outputs.filter((name) => !session.outputNames.includes(name));
  if (lackingInputs.length > 0 || lackingOutputs.length > 0) {
    await session.release();
    const parts: string[] = [];
    if (lackingInputs.length > 0) parts.push(`graph inputs ${lackingInputs.join(", ")}`);
    if (lackingOutputs.length > 0) parts.push(`graph outputs ${lackingOutputs.join(", ")}`);
    missing(`${modelPath} lacks ${parts.join(" and ")}`);
  }
  const past = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  const pastType = past !== undefined && past.isTensor ? past.type : "float32";
  if (pastType !== "float32" && pastType !== "float16") {
    await session.release();
    missing(`past_key_values are ${pastType}; only float32 and float16 caches are supported`);
  }
  return { dir, modelPath, session, shape, kvType: pastType, generation: readGenerationDefaults(dir) };
}
