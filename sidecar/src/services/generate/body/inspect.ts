/**
 * Reads a body .glb back into plain arrays (with @gltf-transform's reader, which also expands
 * sparse accessors): what tests, the bench and tools need to check a body without knowing how
 * it was built.
 */
import { NodeIO, type Node } from "@gltf-transform/core";

export interface InspectedBone {
  name: string;
  /** Index into the skin's joints, -1 for the skeleton root. */
  parent: number;
  translation: [number, number, number];
  rotation: [number, number, number, number];
}

export interface InspectedPrimitive {
  material: string;
  positions: Float32Array;
  normals: Float32Array;
  uvs: Float32Array;
  joints: Uint8Array | Uint16Array;
  /** Weights as 0..1 floats, whatever the stored component type. */
  weights: Float32Array;
  indices: Uint16Array | Uint32Array;
  /** Morph target position deltas, by target name. */
  targets: Map<string, Float32Array>;
}

export interface InspectedBody {
  bones: InspectedBone[];
  inverseBindMatrices: Float32Array;
  primitives: InspectedPrimitive[];
  targetNames: string[];
  defaultWeights: number[];
  skinnedNodeCount: number;
}

const io = new NodeIO();

function floats(array: ArrayLike<number>, normalizedMax: number): Float32Array {
  const out = new Float32Array(array.length);
  for (let i = 0; i < array.length; i++) out[i] = (array[i] as number) / normalizedMax;
  return out;
}

export async function inspectBody(glb: Uint8Array): Promise<InspectedBody> {
  const doc = await io.readBinary(glb);
  const root = doc.getRoot();
  const skins = root.listSkins();
  const skin = skins[0];
  if (skins.length !== 1 || skin === undefined) throw new Error(`expected one skin, found ${skins.length}`);
  const joints = skin.listJoints();
  const indexOf = new Map<Node, number>(joints.map((n, i) => [n, i]));
  const bones = joints.map((node) => {
    const parentNode = node.getParentNode();
    return {
      name: node.getName(),
      parent: parentNode === null ? -1 : (indexOf.get(parentNode) ?? -2),
      translation: node.getTranslation() as [number, number, number],
      rotation: node.getRotation() as [number, number, number, number],
    };
  });
  const meshes = root.listMeshes();
  const mesh = meshes[0];
  if (meshes.length !== 1 || mesh === undefined) throw new Error(`expected one mesh, found ${meshes.length}`);
  const extras = mesh.getExtras() as { targetNames?: string[] };
  const targetNames = extras.targetNames ?? [];
  const primitives = mesh.listPrimitives().map((prim) => {
    const attr = (name: string) => {
      const a = prim.getAttribute(name);
      if (a === null) throw new Error(`primitive without ${name}`);
      return a;
    };
    const weightsAccessor = attr("WEIGHTS_0");
    const rawWeights = weightsAccessor.getArray() as ArrayLike<number>;
    const weights =
      rawWeights instanceof Float32Array
        ? rawWeights
        : floats(rawWeights, rawWeights instanceof Uint16Array ? 65535 : 255);
    const targets = new Map<string, Float32Array>();
    prim.listTargets().forEach((t, i) => {
      const pos = t.getAttribute("POSITION");
      if (pos !== null) targets.set(targetNames[i] ?? String(i), pos.getArray() as Float32Array);
    });
    const indices = prim.getIndices();
    if (indices === null) throw new Error("primitive without indices");
    return {
      material: prim.getMaterial()?.getName() ?? "",
      positions: attr("POSITION").getArray() as Float32Array,
      normals: attr("NORMAL").getArray() as Float32Array,
      uvs: attr("TEXCOORD_0").getArray() as Float32Array,
      joints: attr("JOINTS_0").getArray() as Uint8Array | Uint16Array,
      weights,
      indices: indices.getArray() as Uint16Array | Uint32Array,
      targets,
    };
  });
  const ibm = skin.getInverseBindMatrices();
  return {
    bones,
    inverseBindMatrices: (ibm?.getArray() as Float32Array | undefined) ?? new Float32Array(0),
    primitives,
    targetNames,
    defaultWeights: mesh.getWeights(),
    skinnedNodeCount: root.listNodes().filter((n) => n.getSkin() !== null).length,
  };
}
