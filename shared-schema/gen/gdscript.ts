/**
 * GDScript generator: one self-contained script per proto package (a `class_name` with an
 * inner class per message, the package's enums, and a small wire reader/writer), so the Godot
 * addon needs nothing but the generated file to speak the protocol.
 *
 * Wire rules it implements (protobuf encoding guide): varints (negative int32/int64/enums as
 * 10-byte two's complement), zigzag for sint32/sint64, fixed32/64 and float/double little-endian,
 * length-delimited strings/bytes/messages, packed repeated scalars (both forms accepted when
 * reading), maps as repeated key/value entries, oneofs, proto3 `optional`, unknown fields skipped.
 * Proto3 canonical form: a singular scalar at its default value is not written.
 */
import protobuf from "protobufjs";
import { collectTypes, mapKeyType, packageNamespace, type ProtoPackage } from "./load.js";

interface ScalarRule {
  wire: number;
  gdType: string;
  defaultValue: string;
  /** Writer call for value `v`. */
  write: (v: string) => string;
  /** Reader expression. */
  read: string;
  /** Expression for the protobuf JSON mapping of `v`. */
  json: (v: string) => string;
  packable: boolean;
}

const int64Json = (v: string): string => `str(${v})`;
const uint64Json = (v: string): string => `String.num_uint64(${v})`;
const floatJson = (v: string): string => `_Json.number(${v})`;

const SCALARS: Record<string, ScalarRule> = {
  double: { wire: 1, gdType: "float", defaultValue: "0.0", write: (v) => `w.float64(${v})`, read: "r.float64()", json: floatJson, packable: true },
  float: { wire: 5, gdType: "float", defaultValue: "0.0", write: (v) => `w.float32(${v})`, read: "r.float32()", json: floatJson, packable: true },
  int32: { wire: 0, gdType: "int", defaultValue: "0", write: (v) => `w.varint(${v})`, read: "r.int32()", json: (v) => v, packable: true },
  int64: { wire: 0, gdType: "int", defaultValue: "0", write: (v) => `w.varint(${v})`, read: "r.varint()", json: int64Json, packable: true },
  uint32: { wire: 0, gdType: "int", defaultValue: "0", write: (v) => `w.varint(${v} & 0xFFFFFFFF)`, read: "(r.varint() & 0xFFFFFFFF)", json: (v) => v, packable: true },
  uint64: { wire: 0, gdType: "int", defaultValue: "0", write: (v) => `w.varint(${v})`, read: "r.varint()", json: uint64Json, packable: true },
  sint32: { wire: 0, gdType: "int", defaultValue: "0", write: (v) => `w.zigzag32(${v})`, read: "r.zigzag32()", json: (v) => v, packable: true },
  sint64: { wire: 0, gdType: "int", defaultValue: "0", write: (v) => `w.zigzag64(${v})`, read: "r.zigzag64()", json: int64Json, packable: true },
  fixed32: { wire: 5, gdType: "int", defaultValue: "0", write: (v) => `w.fixed32(${v})`, read: "r.fixed32()", json: (v) => v, packable: true },
  sfixed32: { wire: 5, gdType: "int", defaultValue: "0", write: (v) => `w.fixed32(${v})`, read: "r.sfixed32()", json: (v) => v, packable: true },
  fixed64: { wire: 1, gdType: "int", defaultValue: "0", write: (v) => `w.fixed64(${v})`, read: "r.fixed64()", json: uint64Json, packable: true },
  sfixed64: { wire: 1, gdType: "int", defaultValue: "0", write: (v) => `w.fixed64(${v})`, read: "r.fixed64()", json: int64Json, packable: true },
  bool: { wire: 0, gdType: "bool", defaultValue: "false", write: (v) => `w.varint(1 if ${v} else 0)`, read: "(r.varint() != 0)", json: (v) => v, packable: true },
  string: { wire: 2, gdType: "String", defaultValue: '""', write: (v) => `w.text(${v})`, read: "r.text()", json: (v) => v, packable: false },
  bytes: { wire: 2, gdType: "PackedByteArray", defaultValue: "PackedByteArray()", write: (v) => `w.blob(${v})`, read: "r.blob()", json: (v) => `Marshalls.raw_to_base64(${v})`, packable: false },
};

/** GDScript keywords and Object members a field may not be called. */
const RESERVED_MEMBERS = new Set(
  ("and as assert await break breakpoint class class_name const continue elif else enum extends for func if in is " +
    "match namespace not or pass preload return self signal static super trait var void when while yield " +
    "PI TAU INF NAN script encode decode to_dict free notification").split(" "),
);

/** Godot's global classes, builtin types and global enums that a message class must not shadow. */
const RESERVED_CLASSES = new Set(
  ("Error Object Node Resource RefCounted Variant String StringName NodePath Array Dictionary Callable Signal Color " +
    "Vector2 Vector2i Vector3 Vector3i Vector4 Vector4i Rect2 Rect2i Transform2D Transform3D Plane Quaternion AABB " +
    "Basis Projection RID PackedByteArray Image Texture Mesh Material Shader Skeleton3D Animation Time OS Engine " +
    "JSON Expression Marshalls Input Key MouseButton Side Corner Orientation Timer Thread Mutex Semaphore File " +
    "FileAccess DirAccess Script GDScript Performance ProjectSettings ClassDB Tween Environment World3D Camera3D " +
    "Light3D Font Theme Control Label Button Range Path Curve Gradient Noise Sky Viewport Window HTTPClient " +
    "HTTPRequest WebSocketPeer StreamPeer PacketPeer Crypto HashingContext AESContext Marshalls Geometry2D " +
    "Geometry3D Semaphore Translation Node2D Node3D Sprite2D Area2D Area3D Joint3D Bone2D Skin Occluder").split(" "),
);

const memberName = (name: string): string => (RESERVED_MEMBERS.has(name) ? `${name}_` : name);

export function gdClassName(type: protobuf.ReflectionObject, pkg: ProtoPackage): string {
  const name = type.fullName.slice(pkg.name.length + 2).replace(/\./g, "_");
  return RESERVED_CLASSES.has(name) ? `${name}Message` : name;
}

/** "ensoul.testing.v1" → "EnsoulTestingV1" */
export function gdScriptClassName(pkg: ProtoPackage): string {
  return pkg.name
    .split(".")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

function docComment(comment: string | null | undefined, indent: string): string[] {
  if (!comment) return [];
  return comment.split("\n").map((line) => `${indent}## ${line}`.trimEnd());
}

/** Field kinds the generator distinguishes. */
type FieldKind =
  | { kind: "scalar"; rule: ScalarRule }
  | { kind: "enum"; enumName: string }
  | { kind: "message"; className: string };

function fieldKind(field: protobuf.Field, pkg: ProtoPackage, type: string = field.type): FieldKind {
  const resolved = type === field.type ? field.resolvedType : null;
  if (resolved instanceof protobuf.Enum) return { kind: "enum", enumName: gdClassName(resolved, pkg) };
  if (resolved instanceof protobuf.Type) return { kind: "message", className: gdClassName(resolved, pkg) };
  const rule = SCALARS[type];
  if (!rule) throw new Error(`${field.fullName}: unsupported field type ${type}`);
  return { kind: "scalar", rule };
}

const ENUM_RULE: ScalarRule = {
  wire: 0,
  gdType: "int",
  defaultValue: "0",
  write: (v) => `w.varint(${v})`,
  read: "r.int32()",
  json: (v) => v,
  packable: true,
};

/** Enum fields are typed with their enum; the wire carries an int32, cast on the way in. */
function enumRule(enumName: string): ScalarRule {
  return { ...ENUM_RULE, gdType: enumName, defaultValue: `0 as ${enumName}`, read: `(r.int32() as ${enumName})` };
}

function ruleOf(kind: FieldKind): ScalarRule | null {
  if (kind.kind === "scalar") return kind.rule;
  if (kind.kind === "enum") return enumRule(kind.enumName);
  return null;
}

function gdType(kind: FieldKind): string {
  return kind.kind === "message" ? kind.className : (ruleOf(kind) as ScalarRule).gdType;
}

function jsonOf(kind: FieldKind, v: string): string {
  if (kind.kind === "message") return `${v}.to_dict()`;
  if (kind.kind === "enum") return `_Json.enum_name(${kind.enumName}, ${v})`;
  return kind.rule.json(v);
}

/** A oneof that proto3 `optional` made: one member, name "_<field>". */
function isSyntheticOneof(oneof: protobuf.OneOf | null): boolean {
  return oneof !== null && oneof.name.startsWith("_") && oneof.fieldsArray.length === 1;
}

function jsonName(field: protobuf.Field): string {
  return protobuf.util.camelCase(field.name);
}

class MessageWriter {
  private readonly lines: string[] = [];

  constructor(
    private readonly type: protobuf.Type,
    private readonly pkg: ProtoPackage,
  ) {}

  private emit(indent: number, text: string): void {
    this.lines.push(text === "" ? "" : `${"\t".repeat(indent)}${text}`);
  }

  generate(): string[] {
    const name = gdClassName(this.type, this.pkg);
    for (const line of docComment(this.type.comment, "")) this.emit(0, line);
    this.emit(0, `class ${name} extends RefCounted:`);
    this.declareFields();
    this.emit(0, "");
    this.emit(1, "## Encodes this message to protobuf wire bytes.");
    this.emit(1, "func encode() -> PackedByteArray:");
    this.emit(2, "var w := _Writer.new()");
    this.emit(2, "_write(w)");
    this.emit(2, "return w.result()");
    this.emit(0, "");
    this.emit(1, "## Decodes protobuf wire bytes; null when they are malformed (last_decode_error() says why).");
    this.emit(1, `static func decode(bytes: PackedByteArray) -> ${name}:`);
    this.emit(2, "var r := _Reader.new(bytes)");
    this.emit(2, `var m := ${name}.new()`);
    this.emit(2, "m._read(r, bytes.size())");
    this.emit(2, "return null if r.failed else m");
    this.emit(0, "");
    this.writeEncoder();
    this.emit(0, "");
    this.writeDecoder();
    this.emit(0, "");
    this.writeToDict();
    this.emit(0, "");
    return this.lines;
  }

  private declareFields(): void {
    for (const oneof of this.type.oneofsArray) {
      if (isSyntheticOneof(oneof)) continue;
      const members = oneof.fieldsArray.map((f) => `&"${memberName(f.name)}"`).join(", ");
      this.emit(1, `## Which field of the oneof is set: one of ${members}, or &"" for none.`);
      this.emit(1, `var ${memberName(oneof.name)}: StringName = &""`);
    }
    for (const field of this.type.fieldsArray) {
      const kind = fieldKind(field, this.pkg);
      const name = memberName(field.name);
      for (const line of docComment(field.comment, "\t")) this.lines.push(line);
      if (field.map) {
        const keyType = gdType(fieldKind(field, this.pkg, mapKeyType(field)));
        this.emit(1, `var ${name}: Dictionary[${keyType}, ${gdType(kind)}] = {}`);
        continue;
      }
      if (field.repeated) {
        this.emit(1, `var ${name}: Array[${gdType(kind)}] = []`);
        continue;
      }
      const initial = kind.kind === "message" ? "null" : (ruleOf(kind) as ScalarRule).defaultValue;
      const oneof = field.partOf;
      if (isSyntheticOneof(oneof)) {
        this.emit(1, `## True when ${name} is present (a proto3 optional field).`);
        this.emit(1, `var has_${field.name}: bool = false`);
        this.emit(1, `var ${name}: ${gdType(kind)} = ${initial}:`);
        this.emit(2, "set(value):");
        this.emit(3, `${name} = value`);
        this.emit(3, `has_${field.name} = true`);
      } else if (oneof) {
        this.emit(1, `var ${name}: ${gdType(kind)} = ${initial}:`);
        this.emit(2, "set(value):");
        this.emit(3, `${name} = value`);
        this.emit(3, `${memberName(oneof.name)} = &"${name}"`);
      } else {
        this.emit(1, `var ${name}: ${gdType(kind)} = ${initial}`);
      }
    }
  }

  /** The condition under which a singular field is written. */
  private presence(field: protobuf.Field, kind: FieldKind): string {
    const name = memberName(field.name);
    const oneof = field.partOf;
    if (isSyntheticOneof(oneof)) return `has_${field.name}`;
    if (oneof) return `${memberName(oneof.name)} == &"${name}"`;
    if (kind.kind === "message") return `${name} != null`;
    const rule = ruleOf(kind) as ScalarRule;
    if (rule.gdType === "bool") return name;
    if (rule.gdType === "String" || rule.gdType === "PackedByteArray") return `not ${name}.is_empty()`;
    if (kind.kind === "enum") return `int(${name}) != 0`;
    return `${name} != ${rule.defaultValue}`;
  }

  private writeEncoder(): void {
    this.emit(1, "func _write(w: _Writer) -> void:");
    if (this.type.fieldsArray.length === 0) this.emit(2, "pass");
    for (const field of this.type.fieldsArray) {
      const kind = fieldKind(field, this.pkg);
      const name = memberName(field.name);
      const id = field.id;
      if (field.map) {
        const keyKind = fieldKind(field, this.pkg, mapKeyType(field));
        const keyRule = ruleOf(keyKind) as ScalarRule;
        this.emit(2, `for key in ${name}:`);
        this.emit(3, "var entry := _Writer.new()");
        this.emit(3, `entry.tag(1, ${keyRule.wire})`);
        this.emit(3, keyRule.write("key").replace(/^w\./, "entry."));
        this.emit(3, `var value = ${name}[key]`);
        if (kind.kind === "message") {
          this.emit(3, "entry.tag(2, 2)");
          this.emit(3, `entry.message(value if value != null else ${kind.className}.new())`);
        } else {
          const rule = ruleOf(kind) as ScalarRule;
          this.emit(3, `entry.tag(2, ${rule.wire})`);
          this.emit(3, rule.write("value").replace(/^w\./, "entry."));
        }
        this.emit(3, `w.tag(${id}, 2)`);
        this.emit(3, "w.blob(entry.result())");
        continue;
      }
      if (field.repeated) {
        const rule = ruleOf(kind);
        if (rule && rule.packable) {
          this.emit(2, `if not ${name}.is_empty():`);
          this.emit(3, "var packed := _Writer.new()");
          this.emit(3, `for item in ${name}:`);
          this.emit(4, rule.write("item").replace(/^w\./, "packed."));
          this.emit(3, `w.tag(${id}, 2)`);
          this.emit(3, "w.blob(packed.result())");
        } else {
          this.emit(2, `for item in ${name}:`);
          if (kind.kind === "message") {
            this.emit(3, `w.tag(${id}, 2)`);
            this.emit(3, `w.message(item if item != null else ${kind.className}.new())`);
          } else {
            this.emit(3, `w.tag(${id}, ${(rule as ScalarRule).wire})`);
            this.emit(3, (rule as ScalarRule).write("item"));
          }
        }
        continue;
      }
      this.emit(2, `if ${this.presence(field, kind)}:`);
      if (kind.kind === "message") {
        this.emit(3, `w.tag(${id}, 2)`);
        this.emit(3, `w.message(${name} if ${name} != null else ${kind.className}.new())`);
      } else {
        const rule = ruleOf(kind) as ScalarRule;
        this.emit(3, `w.tag(${id}, ${rule.wire})`);
        this.emit(3, rule.write(name));
      }
    }
  }

  private readValue(kind: FieldKind, indent: number, target: (expr: string) => string): void {
    if (kind.kind === "message") {
      this.emit(indent, `var _sub := ${kind.className}.new()`);
      this.emit(indent, "r.message(_sub)");
      this.emit(indent, target("_sub"));
    } else {
      this.emit(indent, target((ruleOf(kind) as ScalarRule).read));
    }
  }

  private writeDecoder(): void {
    this.emit(1, "func _read(r: _Reader, end: int) -> void:");
    this.emit(2, "while r.pos < end and not r.failed:");
    // Locals start with "_" so that no field (a member) can share their name.
    this.emit(3, "var _tag := r.varint()");
    this.emit(3, "var _wire := _tag & 7");
    this.emit(3, "match _tag >> 3:");
    for (const field of this.type.fieldsArray) {
      const kind = fieldKind(field, this.pkg);
      const name = memberName(field.name);
      this.emit(4, `${field.id}:`);
      if (field.map) {
        const keyKind = fieldKind(field, this.pkg, mapKeyType(field));
        const keyRule = ruleOf(keyKind) as ScalarRule;
        this.emit(5, "if _wire != 2:");
        this.emit(6, "r.skip(_wire)");
        this.emit(6, "continue");
        this.emit(5, "var entry_end := r.length_end()");
        this.emit(5, `var entry_key = ${keyRule.defaultValue}`);
        const valueDefault = kind.kind === "message" ? `${kind.className}.new()` : (ruleOf(kind) as ScalarRule).defaultValue;
        this.emit(5, `var entry_value = ${valueDefault}`);
        this.emit(5, "while r.pos < entry_end and not r.failed:");
        this.emit(6, "var entry_tag := r.varint()");
        this.emit(6, `if entry_tag == ${(1 << 3) | keyRule.wire}:`);
        this.emit(7, `entry_key = ${keyRule.read}`);
        const valueWire = kind.kind === "message" ? 2 : (ruleOf(kind) as ScalarRule).wire;
        this.emit(6, `elif entry_tag == ${(2 << 3) | valueWire}:`);
        if (kind.kind === "message") {
          this.emit(7, "r.message(entry_value)");
        } else {
          this.emit(7, `entry_value = ${(ruleOf(kind) as ScalarRule).read}`);
        }
        this.emit(6, "else:");
        this.emit(7, "r.skip(entry_tag & 7)");
        this.emit(5, "r.check_end(entry_end)");
        this.emit(5, `${name}[entry_key] = entry_value`);
        continue;
      }
      const rule = ruleOf(kind);
      const wire = rule ? rule.wire : 2;
      if (field.repeated) {
        if (rule && rule.packable) {
          this.emit(5, "if _wire == 2:");
          this.emit(6, "var packed_end := r.length_end()");
          this.emit(6, "while r.pos < packed_end and not r.failed:");
          this.emit(7, `${name}.append(${rule.read})`);
          this.emit(6, "r.check_end(packed_end)");
          this.emit(5, `elif _wire == ${wire}:`);
          this.emit(6, `${name}.append(${rule.read})`);
          this.emit(5, "else:");
          this.emit(6, "r.skip(_wire)");
          continue;
        }
        this.emit(5, `if _wire != ${wire}:`);
        this.emit(6, "r.skip(_wire)");
        this.emit(6, "continue");
        this.readValue(kind, 5, (expr) => `${name}.append(${expr})`);
        continue;
      }
      this.emit(5, `if _wire != ${wire}:`);
      this.emit(6, "r.skip(_wire)");
      this.emit(6, "continue");
      this.readValue(kind, 5, (expr) => `${name} = ${expr}`);
    }
    this.emit(4, "_:");
    this.emit(5, "r.skip(_wire)");
    this.emit(2, "if r.pos > end:");
    this.emit(3, `r.fail("a field overruns its ${this.type.name} message")`);
  }

  private writeToDict(): void {
    this.emit(1, "## The message in the protobuf JSON mapping (lowerCamelCase keys, 64-bit integers as");
    this.emit(1, "## strings, enums by name, bytes as base64, default values left out).");
    this.emit(1, "func to_dict() -> Dictionary:");
    this.emit(2, "var d := {}");
    for (const field of this.type.fieldsArray) {
      const kind = fieldKind(field, this.pkg);
      const name = memberName(field.name);
      const key = JSON.stringify(jsonName(field));
      if (field.map) {
        const keyKind = fieldKind(field, this.pkg, mapKeyType(field));
        const keyText = keyKind.kind === "scalar" && keyKind.rule.gdType === "String" ? "k" : `str(${jsonOf(keyKind, "k")})`;
        this.emit(2, `if not ${name}.is_empty():`);
        this.emit(3, "var m := {}");
        this.emit(3, `for k in ${name}:`);
        this.emit(4, `var v = ${name}[k]`);
        this.emit(4, `m[${keyText.replace("str(str(", "(str(")}] = ${jsonOf(kind, "v")}`);
        this.emit(3, `d[${key}] = m`);
        continue;
      }
      if (field.repeated) {
        this.emit(2, `if not ${name}.is_empty():`);
        this.emit(3, "var items := []");
        this.emit(3, `for item in ${name}:`);
        this.emit(4, `items.append(${jsonOf(kind, "item")})`);
        this.emit(3, `d[${key}] = items`);
        continue;
      }
      this.emit(2, `if ${this.presence(field, kind)}:`);
      const value = kind.kind === "message" ? `(${name} if ${name} != null else ${kind.className}.new()).to_dict()` : jsonOf(kind, name);
      this.emit(3, `d[${key}] = ${value}`);
    }
    this.emit(2, "return d");
  }
}

const RUNTIME = String.raw`
## Text of the last decode failure, for the caller of a decode() that returned null.
static func last_decode_error() -> String:
	return _Reader.last_error


## Values in the protobuf JSON mapping.
class _Json extends RefCounted:
	static func number(v: float) -> Variant:
		if is_nan(v):
			return "NaN"
		if is_inf(v):
			return "Infinity" if v > 0 else "-Infinity"
		return v

	static func enum_name(names: Dictionary, v: int) -> Variant:
		var name: Variant = names.find_key(v)
		return name if name != null else v


## Writes protobuf wire bytes.
class _Writer extends RefCounted:
	var _out := StreamPeerBuffer.new()

	func result() -> PackedByteArray:
		return _out.data_array

	func tag(field: int, wire: int) -> void:
		varint((field << 3) | wire)

	func varint(v: int) -> void:
		# Negative values travel as 10-byte two's complement: shift logically, not arithmetically.
		while v & ~0x7F != 0:
			_out.put_u8((v & 0x7F) | 0x80)
			v = (v >> 7) & 0x01FFFFFFFFFFFFFF
		_out.put_u8(v)

	func zigzag32(v: int) -> void:
		varint(((v << 1) ^ (v >> 31)) & 0xFFFFFFFF)

	func zigzag64(v: int) -> void:
		varint((v << 1) ^ (v >> 63))

	func fixed32(v: int) -> void:
		_out.put_u32(v & 0xFFFFFFFF)

	func fixed64(v: int) -> void:
		_out.put_64(v)

	func float32(v: float) -> void:
		_out.put_float(v)

	func float64(v: float) -> void:
		_out.put_double(v)

	func blob(b: PackedByteArray) -> void:
		varint(b.size())
		if not b.is_empty():
			_out.put_data(b)

	func text(s: String) -> void:
		blob(s.to_utf8_buffer())

	func message(m: Variant) -> void:
		var inner := _Writer.new()
		m._write(inner)
		blob(inner.result())


## Reads protobuf wire bytes. The first failure sticks: pos jumps to the end so every loop stops.
class _Reader extends RefCounted:
	static var last_error: String = ""
	var data: PackedByteArray
	var pos: int = 0
	var failed: bool = false

	func _init(bytes: PackedByteArray) -> void:
		data = bytes
		last_error = ""

	func fail(message: String) -> void:
		if not failed:
			failed = true
			last_error = "%s (at byte %d)" % [message, pos]
		pos = data.size()

	func varint() -> int:
		var result := 0
		var shift := 0
		while shift < 70:
			if pos >= data.size():
				fail("truncated varint")
				return 0
			var b := data[pos]
			pos += 1
			result |= (b & 0x7F) << shift
			if b < 0x80:
				return result
			shift += 7
		fail("varint longer than 10 bytes")
		return 0

	func int32() -> int:
		var v := varint() & 0xFFFFFFFF
		return v - 0x100000000 if v >= 0x80000000 else v

	func zigzag32() -> int:
		var v := varint() & 0xFFFFFFFF
		return (v >> 1) ^ -(v & 1)

	func zigzag64() -> int:
		var v := varint()
		return ((v >> 1) & 0x7FFFFFFFFFFFFFFF) ^ -(v & 1)

	func _need(n: int) -> bool:
		if pos + n > data.size():
			fail("truncated fixed-size field")
			return false
		return true

	func fixed32() -> int:
		if not _need(4):
			return 0
		pos += 4
		return data.decode_u32(pos - 4)

	func sfixed32() -> int:
		if not _need(4):
			return 0
		pos += 4
		return data.decode_s32(pos - 4)

	func fixed64() -> int:
		if not _need(8):
			return 0
		pos += 8
		return data.decode_s64(pos - 8)

	func float32() -> float:
		if not _need(4):
			return 0.0
		pos += 4
		return data.decode_float(pos - 4)

	func float64() -> float:
		if not _need(8):
			return 0.0
		pos += 8
		return data.decode_double(pos - 8)

	## Reads a length prefix; returns where the length-delimited value ends.
	func length_end() -> int:
		var n := varint()
		if n < 0 or n > data.size() - pos:
			fail("length %d exceeds the remaining %d bytes" % [n, data.size() - pos])
			return pos
		return pos + n

	func check_end(end: int) -> void:
		if pos != end and not failed:
			fail("a length-delimited field does not end where its length says")

	func blob() -> PackedByteArray:
		var end := length_end()
		var b := data.slice(pos, end)
		pos = end
		return b

	func text() -> String:
		return blob().get_string_from_utf8()

	func message(m: Variant) -> void:
		var end := length_end()
		m._read(self, end)
		check_end(end)

	func skip(wire: int) -> void:
		match wire:
			0:
				varint()
			1:
				if _need(8):
					pos += 8
			2:
				pos = length_end()
			5:
				if _need(4):
					pos += 4
			_:
				fail("unsupported wire type %d" % wire)
`;

export function generateGdscript(root: protobuf.Root, pkg: ProtoPackage): string {
  const ns = packageNamespace(root, pkg);
  const { messages, enums } = collectTypes(ns);
  const out: string[] = [
    `# Code generated by shared-schema/gen (npm run gen) from shared-schema/proto/${pkg.dir}. DO NOT EDIT.`,
    // @tool: the editor runs only tool scripts; without it the dock's codec would be inert there.
    "@tool",
    `## Messages of the protobuf package ${pkg.name} with their wire codec: every message class has`,
    "## encode() -> PackedByteArray, static decode(bytes) (null on malformed bytes, see",
    "## last_decode_error()) and to_dict() (the protobuf JSON mapping).",
    `class_name ${gdScriptClassName(pkg)}`,
    "extends RefCounted",
    "",
  ];
  for (const en of enums) {
    out.push(...docComment(en.comment, ""));
    const values = Object.entries(en.values).map(([k, v]) => `\t${k} = ${v},`);
    out.push(`enum ${gdClassName(en, pkg)} {`, ...values, "}", "");
  }
  out.push(RUNTIME.trim(), "", "");
  for (const type of messages) {
    out.push(...new MessageWriter(type, pkg).generate(), "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
