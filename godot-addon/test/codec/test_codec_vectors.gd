extends EnsoulTest
## The golden vectors (made by the TypeScript codec) and a batch of random messages through the
## generated GDScript codec: each decodes to the values its JSON description records and
## re-encodes byte for byte. The TypeScript side writes res://vectors/index.json.

const TYPES := {
	"ensoul.v1.Envelope": EnsoulV1.Envelope,
	"ensoul.testing.v1.Sample": EnsoulTestingV1.Sample,
}


func test_every_vector_decodes_and_reencodes_byte_for_byte() -> void:
	var index: Variant = JSON.parse_string(FileAccess.get_file_as_string("res://vectors/index.json"))
	if not assert_true(index is Array and not index.is_empty(), "res://vectors/index.json lists the vectors"):
		return
	var checked := 0
	for name: String in index:
		var bytes := FileAccess.get_file_as_bytes("res://vectors/%s.bin" % name)
		var meta: Variant = JSON.parse_string(FileAccess.get_file_as_string("res://vectors/%s.json" % name))
		if not assert_true(meta is Dictionary, "%s.json parses" % name):
			continue
		if not assert_has(TYPES, meta["type"], "%s: known type" % name):
			continue
		var message: Variant = TYPES[meta["type"]].decode(bytes)
		if not assert_not_null(message, "%s decodes: %s" % [name, EnsoulV1.last_decode_error()]):
			continue
		var difference := json_difference(message.to_dict(), meta["value"], name)
		assert_eq(difference, "", "%s: decoded values" % name)
		assert_bytes_eq(message.encode(), bytes, "%s: re-encoded bytes" % name)
		checked += 1
	print("ENSOUL-VECTORS checked %d" % checked)
	assert_eq(checked, index.size(), "every vector checked")


func test_malformed_bytes_give_null_and_a_reason() -> void:
	var cases := {
		"truncated varint": PackedByteArray([0x08, 0xff]),
		"length past the end": PackedByteArray([0x62, 0x05, 0x01]),
		"group wire type": PackedByteArray([0x0b]),
		"nested message overruns": PackedByteArray([0x62, 0x02, 0x08, 0xff]),
	}
	for why: String in cases:
		var message := EnsoulV1.Envelope.decode(cases[why])
		assert_null(message, why)
		assert_ne(EnsoulV1.last_decode_error(), "", "%s: a reason" % why)


func test_unknown_fields_are_skipped() -> void:
	# Field 999 (length-delimited), field 1000 (fixed64) and field 1001 (fixed32) around a Ping.
	var bytes := PackedByteArray([0xba, 0x3e, 0x02, 0x61, 0x62])
	bytes.append_array(PackedByteArray([0xc1, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8]))
	bytes.append_array(PackedByteArray([0xcd, 0x3e, 1, 2, 3, 4]))
	bytes.append_array(EnsoulV1.Envelope.new().encode())
	var ping := EnsoulV1.Envelope.new()
	ping.id = 5
	ping.ping = EnsoulV1.Ping.new()
	bytes.append_array(ping.encode())
	var decoded := EnsoulV1.Envelope.decode(bytes)
	if assert_not_null(decoded, EnsoulV1.last_decode_error()):
		assert_eq(decoded.id, 5)
		assert_eq(decoded.body, &"ping")


func test_setting_a_oneof_member_switches_the_case() -> void:
	var envelope := EnsoulV1.Envelope.new()
	envelope.ping = EnsoulV1.Ping.new()
	envelope.pong = EnsoulV1.Pong.new()
	assert_eq(envelope.body, &"pong")
	var decoded := EnsoulV1.Envelope.decode(envelope.encode())
	assert_eq(decoded.body, &"pong")
	assert_null(decoded.ping)


## The first difference between a decoded message's to_dict() and the JSON description, or "".
## Numbers compare as numbers (JSON has no integers); floats within a relative 1e-9, because
## Godot's JSON parser reads some decimals a little off (-1.4740688112868236e-06 came back
## about 5e-12 relative away), and it flushes magnitudes below about 1e-290 to zero, so those
## compare absolutely. The decoder itself is held exact by the byte-for-byte re-encoding.
func json_difference(actual: Variant, expected: Variant, path: String) -> String:
	if expected is Dictionary:
		if not actual is Dictionary:
			return "%s: expected an object, got %s" % [path, type_string(typeof(actual))]
		for key: String in expected:
			if not actual.has(key):
				return "%s.%s: missing" % [path, key]
			var inner := json_difference(actual[key], expected[key], "%s.%s" % [path, key])
			if inner != "":
				return inner
		for key: Variant in actual:
			if not expected.has(key):
				return "%s.%s: unexpected (%s)" % [path, key, actual[key]]
		return ""
	if expected is Array:
		if not actual is Array or actual.size() != expected.size():
			return "%s: expected %d items, got %s" % [path, expected.size(), actual]
		for i in expected.size():
			var inner := json_difference(actual[i], expected[i], "%s[%d]" % [path, i])
			if inner != "":
				return inner
		return ""
	if expected is float or expected is int:
		if not (actual is float or actual is int):
			return "%s: expected %s, got %s" % [path, expected, actual]
		var a := float(actual)
		var e := float(expected)
		if a == e or absf(a - e) <= maxf(1e-250, 1e-9 * maxf(absf(a), absf(e))):
			return ""
		return "%s: expected %s, got %s" % [path, String.num_scientific(e), String.num_scientific(a)]
	if typeof(actual) != typeof(expected) or actual != expected:
		return "%s: expected %s (%s), got %s (%s)" % [path, expected, type_string(typeof(expected)), actual, type_string(typeof(actual))]
	return ""
