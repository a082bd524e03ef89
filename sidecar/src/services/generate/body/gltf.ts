/**
 * Turns the body's surfaces into one glTF document: a joint hierarchy, one skinned mesh with a
 * primitive per material (skin, hair, clothing, eyes), morph targets stored sparsely (most
 * vertices do not move), and PBR metallic-roughness materials from the colour parameters.
 */
import { Document, Logger, NodeIO, VertexLayout, type Material, type Mesh, type Node } from "@gltf-transform/core";
import { MORPH_NAMES, type BodyParams } from "./params.js";
import { MATERIAL_NAMES, MAT } from "./parts.js";
import { HUMANOID_BONES, type BodyFrame } from "./skeleton.js";
import type { Surface } from "./surface.js";

/** One primitive's vertices, gathered from the surfaces' triangles of one material. */
interface PrimitiveData {
  material: number;
  /** (surface, vertex) of every primitive vertex, flattened. */
  sources: Int32Array;
  indices: Uint16Array;
}

/** Splits the surfaces' triangles by material, numbering each primitive's vertices in order. */
export function gatherPrimitives(surfaces: readonly Surface[]): PrimitiveData[] {
  const out: PrimitiveData[] = [];
  for (let material = 0; material < MATERIAL_NAMES.length; material++) {
    const sources: number[] = [];
    const indices: number[] = [];
    for (let si = 0; si < surfaces.length; si++) {
      const s = surfaces[si] as Surface;
      let remap: Int32Array | null = null;
      for (let t = 0; t < s.triangleMaterial.length; t++) {
        if (s.triangleMaterial[t] !== material) continue;
        remap ??= new Int32Array(s.vertexCount).fill(-1);
        for (let c = 0; c < 3; c++) {
          const k = s.triangles[t * 3 + c] as number;
          let idx = remap[k] as number;
          if (idx < 0) {
            idx = sources.length / 2;
            remap[k] = idx;
            sources.push(si, k);
          }
          indices.push(idx);
        }
      }
    }
    if (indices.length === 0) continue;
    if (sources.length / 2 > 65535) throw new Error(`primitive ${MATERIAL_NAMES[material]} has too many vertices`);
    out.push({ material, sources: Int32Array.from(sources), indices: Uint16Array.from(indices) });
  }
  return out;
}

function gatherVec3(surfaces: readonly Surface[], sources: Int32Array, key: "positions" | "normals"): Float32Array {
  const n = sources.length / 2;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = surfaces[sources[i * 2] as number] as Surface;
    const k = sources[i * 2 + 1] as number;
    const src = s[key];
    out[i * 3] = src[k * 3] as number;
    out[i * 3 + 1] = src[k * 3 + 1] as number;
    out[i * 3 + 2] = src[k * 3 + 2] as number;
  }
  return out;
}

/** sRGB "#rrggbb" to the linear RGBA factor glTF wants. */
export function hexToLinear(hex: string): [number, number, number, number] {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    const linear = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    return Math.round(linear * 1e6) / 1e6;
  };
  return [channel(0), channel(1), channel(2), 1];
}

function darken(hex: string, f: number): string {
  const parts = [0, 1, 2].map((i) => Math.round(parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) * f));
  return `#${parts.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

function mix(a: string, b: string, t: number): string {
  const parts = [0, 1, 2].map((i) => {
    const x = parseInt(a.slice(1 + i * 2, 3 + i * 2), 16);
    const y = parseInt(b.slice(1 + i * 2, 3 + i * 2), 16);
    return Math.round(x + (y - x) * t);
  });
  return `#${parts.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

interface MaterialLook {
  color: string;
  roughness: number;
  doubleSided?: boolean;
}

function materialLooks(p: BodyParams): MaterialLook[] {
  const top = p.clothingColors[0] as string;
  const looks: Record<number, MaterialLook> = {
    [MAT.skin]: { color: p.skinColor, roughness: 0.6 },
    [MAT.hair]: { color: p.hairColor, roughness: 0.55, doubleSided: true },
    [MAT.top]: { color: top, roughness: 0.85 },
    [MAT.bottom]: { color: p.clothingColors[1] ?? darken(top, 0.55), roughness: 0.85 },
    [MAT.shoes]: { color: p.clothingColors[2] ?? "#3a2a20", roughness: 0.5 },
    [MAT.eyeWhite]: { color: "#f0ede6", roughness: 0.25 },
    [MAT.iris]: { color: p.eyeColor, roughness: 0.3 },
    [MAT.pupil]: { color: "#0b0b0d", roughness: 0.2 },
    [MAT.lips]: { color: mix(darken(p.skinColor, 0.8), "#9a3b3b", 0.3), roughness: 0.45 },
  };
  return MATERIAL_NAMES.map((_, i) => looks[i] as MaterialLook);
}

export interface BodyMeshInput {
  params: BodyParams;
  frame: BodyFrame;
  base: Surface[];
  /** One set of surfaces per morph target, in MORPH_NAMES order, same topology as base. */
  targets: Surface[][];
}

/** Builds the glTF document for a body. */
export function bodyDocument(input: BodyMeshInput): Document {
  const { params, frame, base, targets } = input;
  // Quiet: the writer's notes (e.g. about dense sparse accessors) are not errors.
  const doc = new Document().setLogger(new Logger(Logger.Verbosity.ERROR));
  doc.getRoot().getAsset().generator = "Ensoul body generator";
  const buffer = doc.createBuffer("body");
  const scene = doc.createScene("Body");
  doc.getRoot().setDefaultScene(scene);

  // Skeleton: every joint at its rest position relative to its parent, no rotation.
  const nodes: Node[] = [];
  HUMANOID_BONES.forEach((bone, i) => {
    const g = frame.joints[i] as [number, number, number];
    const parent: [number, number, number] = bone.parent < 0 ? [0, 0, 0] : (frame.joints[bone.parent] as [number, number, number]);
    const node = doc.createNode(bone.name).setTranslation([
      Math.fround(g[0] - parent[0]),
      Math.fround(g[1] - parent[1]),
      Math.fround(g[2] - parent[2]),
    ]);
    nodes.push(node);
    if (bone.parent >= 0) (nodes[bone.parent] as Node).addChild(node);
  });
  const root = nodes[0] as Node;
  scene.addChild(root);

  // Inverse bind matrices from the same float32 translations the nodes carry, summed down the
  // chain, so the bind pose matches the rest pose exactly.
  const globals: Array<[number, number, number]> = [];
  HUMANOID_BONES.forEach((bone, i) => {
    const t = (nodes[i] as Node).getTranslation();
    const p: [number, number, number] = bone.parent < 0 ? [0, 0, 0] : (globals[bone.parent] as [number, number, number]);
    globals.push([p[0] + t[0], p[1] + t[1], p[2] + t[2]]);
  });
  const ibm = new Float32Array(HUMANOID_BONES.length * 16);
  globals.forEach((g, i) => {
    ibm.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -g[0], -g[1], -g[2], 1], i * 16);
  });
  const skin = doc
    .createSkin("Skeleton")
    .setSkeleton(root)
    .setInverseBindMatrices(doc.createAccessor(undefined, buffer).setType("MAT4").setArray(ibm));
  for (const node of nodes) skin.addJoint(node);

  const looks = materialLooks(params);
  const materials = new Map<number, Material>();
  const mesh: Mesh = doc.createMesh("Body");
  mesh.setWeights(MORPH_NAMES.map((name) => params.morphs[name]));
  mesh.setExtras({ targetNames: [...MORPH_NAMES] });

  for (const prim of gatherPrimitives(base)) {
    const look = looks[prim.material] as MaterialLook;
    let material = materials.get(prim.material);
    if (material === undefined) {
      material = doc
        .createMaterial(MATERIAL_NAMES[prim.material])
        .setBaseColorFactor(hexToLinear(look.color))
        .setMetallicFactor(0)
        .setRoughnessFactor(look.roughness)
        .setDoubleSided(look.doubleSided === true);
      materials.set(prim.material, material);
    }
    const n = prim.sources.length / 2;
    const uv = new Float32Array(n * 2);
    const joints = new Uint8Array(n * 4);
    const weights = new Uint16Array(n * 4);
    for (let i = 0; i < n; i++) {
      const s = base[prim.sources[i * 2] as number] as Surface;
      const k = prim.sources[i * 2 + 1] as number;
      uv[i * 2] = s.uvs[k * 2] as number;
      uv[i * 2 + 1] = s.uvs[k * 2 + 1] as number;
      joints.set(s.joints.subarray(k * 4, k * 4 + 4), i * 4);
      weights.set(s.weights.subarray(k * 4, k * 4 + 4), i * 4);
    }
    const positions = gatherVec3(base, prim.sources, "positions");
    const normals = gatherVec3(base, prim.sources, "normals");
    const primitive = doc
      .createPrimitive()
      .setMaterial(material)
      .setIndices(doc.createAccessor(undefined, buffer).setType("SCALAR").setArray(prim.indices))
      .setAttribute("POSITION", doc.createAccessor(undefined, buffer).setType("VEC3").setArray(positions))
      .setAttribute("NORMAL", doc.createAccessor(undefined, buffer).setType("VEC3").setArray(normals))
      .setAttribute("TEXCOORD_0", doc.createAccessor(undefined, buffer).setType("VEC2").setArray(uv))
      .setAttribute("JOINTS_0", doc.createAccessor(undefined, buffer).setType("VEC4").setArray(joints))
      .setAttribute("WEIGHTS_0", doc.createAccessor(undefined, buffer).setType("VEC4").setArray(weights).setNormalized(true));
    targets.forEach((surfaces, ti) => {
      const tp = gatherVec3(surfaces, prim.sources, "positions");
      const tn = gatherVec3(surfaces, prim.sources, "normals");
      for (let i = 0; i < tp.length; i++) {
        tp[i] = Math.fround((tp[i] as number) - (positions[i] as number));
        tn[i] = Math.fround((tn[i] as number) - (normals[i] as number));
      }
      const target = doc
        .createPrimitiveTarget(MORPH_NAMES[ti])
        .setAttribute("POSITION", doc.createAccessor(undefined, buffer).setType("VEC3").setArray(tp).setSparse(true))
        .setAttribute("NORMAL", doc.createAccessor(undefined, buffer).setType("VEC3").setArray(tn).setSparse(true));
      primitive.addTarget(target);
    });
    mesh.addPrimitive(primitive);
  }

  const body = doc.createNode("Body").setMesh(mesh).setSkin(skin);
  scene.addChild(body);
  return doc;
}

// Separate (not interleaved) vertex streams: far cheaper to write, and just as valid.
const io = new NodeIO().setLogger(new Logger(Logger.Verbosity.ERROR)).setVertexLayout(VertexLayout.SEPARATE);

/** Writes a document as .glb bytes. */
export async function writeGlb(doc: Document): Promise<Uint8Array> {
  return giveSparseIndicesTheirOwnViews(await io.writeBinary(doc));
}

interface GltfJson {
  accessors?: Array<{ sparse?: { count: number; indices: { bufferView: number; byteOffset?: number; componentType: number } } }>;
  bufferViews?: Array<{ buffer: number; byteOffset?: number; byteLength: number }>;
}

const COMPONENT_BYTES: Record<number, number> = { 5121: 1, 5123: 2, 5125: 4 };

/**
 * Godot's glTF importer (4.6) insists that a sparse accessor's indices fill their buffer view
 * exactly, while @gltf-transform packs the indices of all sparse accessors into one view. This
 * rewrites only the JSON chunk of the .glb: each sparse accessor gets a view of its own over the
 * same bytes (the first reuses the shared view's slot, the rest are appended), so no other
 * index changes and the binary chunk is untouched. Still valid glTF, and deterministic.
 */
export function giveSparseIndicesTheirOwnViews(glb: Uint8Array): Uint8Array {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  const jsonLength = view.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as GltfJson;
  const views = json.bufferViews ?? [];
  const reused = new Set<number>();
  for (const accessor of json.accessors ?? []) {
    const sparse = accessor.sparse;
    if (sparse === undefined) continue;
    const shared = views[sparse.indices.bufferView];
    if (shared === undefined) continue;
    const own = {
      buffer: shared.buffer,
      byteOffset: (shared.byteOffset ?? 0) + (sparse.indices.byteOffset ?? 0),
      byteLength: sparse.count * (COMPONENT_BYTES[sparse.indices.componentType] ?? 4),
    };
    if (!reused.has(sparse.indices.bufferView)) {
      reused.add(sparse.indices.bufferView);
      views[sparse.indices.bufferView] = own;
    } else {
      views.push(own);
      sparse.indices.bufferView = views.length - 1;
    }
    delete sparse.indices.byteOffset;
  }
  if (reused.size === 0) return glb;
  const text = JSON.stringify(json);
  const padded = text + " ".repeat((4 - (Buffer.byteLength(text) % 4)) % 4);
  const jsonBytes = new TextEncoder().encode(padded);
  const rest = glb.subarray(20 + jsonLength);
  const out = new Uint8Array(20 + jsonBytes.byteLength + rest.byteLength);
  const outView = new DataView(out.buffer);
  out.set(glb.subarray(0, 12));
  outView.setUint32(8, out.byteLength, true);
  outView.setUint32(12, jsonBytes.byteLength, true);
  outView.setUint32(16, 0x4e4f534a, true); // "JSON"
  out.set(jsonBytes, 20);
  out.set(rest, 20 + jsonBytes.byteLength);
  return out;
}
