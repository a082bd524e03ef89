/**
 * Loads the protocol's .proto files with protobufjs. Every generator starts here, so the
 * TypeScript codec, the GDScript codec and the golden vectors all come from one parse.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PROTO_DIR = path.join(SCHEMA_DIR, "proto");
export const REPO_DIR = path.resolve(SCHEMA_DIR, "..");

/** A proto package we generate code for: its folder under proto/ and its package name. */
export interface ProtoPackage {
  /** e.g. "ensoul.v1" */
  name: string;
  /** folder relative to proto/, e.g. "ensoul/v1" */
  dir: string;
}

export const PROTOCOL: ProtoPackage = { name: "ensoul.v1", dir: "ensoul/v1" };
export const TESTING: ProtoPackage = { name: "ensoul.testing.v1", dir: "ensoul/testing/v1" };

/** The .proto files of a package, sorted so that output never depends on directory order. */
export function protoFiles(pkg: ProtoPackage): string[] {
  return readdirSync(path.join(PROTO_DIR, pkg.dir))
    .filter((f) => f.endsWith(".proto"))
    .sort()
    .map((f) => `${pkg.dir}/${f}`);
}

/**
 * Parses the package's files (and their imports) into a resolved protobufjs Root. Field names
 * become lowerCamelCase (the TypeScript and JSON spelling) unless keepCase is set (GDScript).
 */
export function loadPackage(pkg: ProtoPackage, options: { keepCase?: boolean } = {}): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  root.loadSync(protoFiles(pkg), { keepCase: options.keepCase ?? false, alternateCommentMode: true });
  root.resolveAll();
  return root;
}

/** The namespace object of a package inside a root, e.g. ensoul.v1. */
export function packageNamespace(root: protobuf.Root, pkg: ProtoPackage): protobuf.Namespace {
  const ns = root.lookup(pkg.name);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`package ${pkg.name} not found`);
  return ns;
}

/** Messages and enums of a namespace, depth-first in declaration order (nested ones after their parent). */
export function collectTypes(ns: protobuf.NamespaceBase): { messages: protobuf.Type[]; enums: protobuf.Enum[] } {
  const messages: protobuf.Type[] = [];
  const enums: protobuf.Enum[] = [];
  const visit = (n: protobuf.NamespaceBase): void => {
    for (const child of n.nestedArray) {
      if (child instanceof protobuf.Type) {
        messages.push(child);
        visit(child);
      } else if (child instanceof protobuf.Enum) {
        enums.push(child);
      } else if (child instanceof protobuf.Namespace) {
        visit(child);
      }
    }
  };
  visit(ns);
  return { messages, enums };
}

/** The key type of a map field ("string", "int64", …). */
export function mapKeyType(field: protobuf.Field): string {
  return (field as unknown as protobuf.MapField).keyType;
}
