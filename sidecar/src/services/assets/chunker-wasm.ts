/**
 * The chunker's hot loop as a hand-assembled WebAssembly module, built here byte by byte so that
 * no compiled binary and no compiler toolchain is needed. Plain JavaScript runs this loop at
 * 70–117 MB/s (a uint32 `%` becomes a float modulo); the same loop in Wasm runs several times
 * faster, which is what lets `make` beat casync's C chunker.
 *
 * Memory layout (one linear memory, exported as `memory`):
 *   [0, 1024)      buzhash table T, 256 little-endian u32
 *   [1024, 2048)   T rotated left by 16 (= 48 mod 32): the term for the byte leaving the window
 *   [DATA_OFFSET…) the data being chunked, written there by the caller
 *
 * Exported function `cut(first, limit, dMinus1, inverse, inverseMinus1) -> i32` (all byte
 *   addresses in memory): seeds the hash over the 48 bytes [first-48, first), tests it (so a chunk
 *   may be exactly `min` long, as in casync), then rolls byte by byte through [first, limit).
 *   Returns the address just after the first byte whose hash h satisfies h % d == d - 1, or
 *   `limit` if none does.
 *
 * The test h % d == d - 1 is done without a division, which would cost more than the rest of the
 * rolling step: it holds exactly when h >= d - 1 and n = h - (d - 1) is a multiple of d, and a
 * 32-bit n is a multiple of d exactly when (n * c) mod 2^64 <= c - 1 for c = ceil(2^64 / d)
 * (Lemire, Kaser & Kurz, "Faster remainder by direct computation", 2019). `inverse` is that c
 * (see `divisibilityConstant`); the rare hits are then checked for h >= d - 1.
 */

import { BUZHASH_TABLE } from "./buzhash-table.js";

export const TABLE_OFFSET = 0;
export const ROTATED_TABLE_OFFSET = 1024;
export const DATA_OFFSET = 4096;
const WASM_PAGE_BYTES = 65536;

// Opcodes used below (WebAssembly core spec, binary format).
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8u: 0x2d,
  i32Const: 0x41,
  i32Ne: 0x47,
  i32GeU: 0x4f,
  i64LeU: 0x58,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
  i64Mul: 0x7e,
  i64ExtendI32U: 0xad,
  i32Xor: 0x73,
  i32Rotl: 0x77,
} as const;
const VOID_BLOCK = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, "utf8")];
  return [...uleb(bytes.length), ...bytes];
}

/** `T[byte]` where the byte address is on the stack: load8_u(addr + byteOffset) << 2, then load. */
function tableLookup(byteOffset: number, tableOffset: number): number[] {
  return [OP.i32Load8u, 0, ...uleb(byteOffset), OP.i32Const, 2, OP.i32Shl, OP.i32Load, 2, ...uleb(tableOffset)];
}

/**
 * Leaves nothing on the stack; returns `result` from `cut` when h % d == d - 1 (see the module
 * comment): `(h - dMinus1) * inverse <= inverseMinus1` as u64, then `h >= dMinus1`.
 */
function returnIfBoundary(h: number, dMinus1: number, inverse: number, inverseMinus1: number, result: number[]): number[] {
  return [
    OP.localGet, h, OP.localGet, dMinus1, OP.i32Sub, OP.i64ExtendI32U,
    OP.localGet, inverse, OP.i64Mul, OP.localGet, inverseMinus1, OP.i64LeU,
    OP.if, VOID_BLOCK,
      OP.localGet, h, OP.localGet, dMinus1, OP.i32GeU,
      OP.if, VOID_BLOCK, ...result, OP.return, OP.end,
    OP.end,
  ];
}

/**
 * The body of `cut`; params 0 first, 1 limit, 2 dMinus1, 3 inverse, 4 inverseMinus1; locals 5 h,
 * 6 q (= p - 48), 7 qEnd (= limit - 48).
 */
function cutBody(): number[] {
  const [first, limit, dMinus1, inverse, inverseMinus1, h, q, qEnd] = [0, 1, 2, 3, 4, 5, 6, 7];
  const get = (i: number): number[] => [OP.localGet, i];
  const set = (i: number): number[] => [OP.localSet, i];
  return [
    // q = first - 48; h = 0 (locals start at zero)
    ...get(first), OP.i32Const, ...sleb(48), OP.i32Sub, ...set(q),
    // seed: for each of the 48 window bytes, h = rotl(h, 1) ^ T[byte]
    OP.loop, VOID_BLOCK,
      ...get(h), OP.i32Const, 1, OP.i32Rotl,
      ...get(q), ...tableLookup(0, TABLE_OFFSET), OP.i32Xor, ...set(h),
      ...get(q), OP.i32Const, 1, OP.i32Add, OP.localTee, q,
      ...get(first), OP.i32Ne, OP.brIf, 0,
    OP.end,
    // test the seed window itself: a chunk may end exactly at `first`
    ...returnIfBoundary(h, dMinus1, inverse, inverseMinus1, get(first)),
    // q = first - 48 (the byte leaving the window when byte `first` enters); qEnd = limit - 48
    ...get(first), OP.i32Const, ...sleb(48), OP.i32Sub, ...set(q),
    ...get(limit), OP.i32Const, ...sleb(48), OP.i32Sub, ...set(qEnd),
    OP.block, VOID_BLOCK,
      OP.loop, VOID_BLOCK,
        // while (q < qEnd)
        ...get(q), ...get(qEnd), OP.i32GeU, OP.brIf, 1,
        // h = rotl(h, 1) ^ (Trot[leave] ^ T[enter]): the bracket does not wait for h, so the
        // chain from one h to the next is two instructions
        ...get(q), ...tableLookup(0, ROTATED_TABLE_OFFSET),
        ...get(q), ...tableLookup(48, TABLE_OFFSET), OP.i32Xor,
        ...get(h), OP.i32Const, 1, OP.i32Rotl, OP.i32Xor, ...set(h),
        ...get(q), OP.i32Const, 1, OP.i32Add, ...set(q),
        ...returnIfBoundary(h, dMinus1, inverse, inverseMinus1, [...get(q), OP.i32Const, ...sleb(48), OP.i32Add]),
        OP.br, 0,
      OP.end,
    OP.end,
    ...get(limit),
  ];
}

const U64_MAX = (1n << 64n) - 1n;

/** c = ceil(2^64 / d) as a u64 (0 for d = 1, where every n is a multiple): the `inverse` of `cut`. */
export function divisibilityConstant(d: number): bigint {
  return (U64_MAX / BigInt(d) + 1n) & U64_MAX;
}

/** `cut`'s u64 arguments as Wasm takes them from JavaScript: signed 64-bit BigInts. */
export function cutConstants(d: number): { inverse: bigint; inverseMinus1: bigint } {
  const c = divisibilityConstant(d);
  return { inverse: BigInt.asIntN(64, c), inverseMinus1: BigInt.asIntN(64, (c - 1n) & U64_MAX) };
}

/** The complete module bytes (a few hundred bytes), deterministic. */
export function buildChunkerWasm(): Uint8Array {
  const funcType = [0x60, ...vec([[I32], [I32], [I32], [I64], [I64]]), ...vec([[I32]])];
  const body = [...vec([[3, I32]]), ...cutBody(), OP.end];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([funcType])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([
      [...name("cut"), 0x00, 0],
      [...name("memory"), 0x02, 0],
    ])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return Uint8Array.from(bytes);
}

/** The slice of the WebAssembly API used here (the project's TypeScript libs carry no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface ChunkerWasm {
  readonly memory: WasmMemory;
  readonly cut: (first: number, limit: number, dMinus1: number, inverse: bigint, inverseMinus1: bigint) => number;
}

let compiled: object | undefined;

/** A fresh instance whose memory holds the tables and at least `dataBytes` bytes of data space. */
export function instantiateChunkerWasm(dataBytes: number): ChunkerWasm {
  compiled ??= new wasmApi.Module(buildChunkerWasm());
  const instance = new wasmApi.Instance(compiled, {});
  const memory = instance.exports["memory"] as WasmMemory;
  const cut = instance.exports["cut"] as ChunkerWasm["cut"];
  const needPages = Math.ceil((DATA_OFFSET + dataBytes) / WASM_PAGE_BYTES);
  const havePages = memory.buffer.byteLength / WASM_PAGE_BYTES;
  if (needPages > havePages) memory.grow(needPages - havePages);
  new Uint32Array(memory.buffer, 0, 512).set(chunkerTables());
  return { memory, cut };
}

/** The first 2 KiB of the module's memory as 512 words: T, then T rotated left by 16. */
export function chunkerTables(): Uint32Array {
  const words = new Uint32Array(512);
  for (let i = 0; i < 256; i++) {
    const t = BUZHASH_TABLE[i] ?? 0;
    words[TABLE_OFFSET / 4 + i] = t;
    words[ROTATED_TABLE_OFFSET / 4 + i] = ((t << 16) | (t >>> 16)) >>> 0;
  }
  return words;
}
