@tool
@icon("res://addons/ensoul/runtime/ensoul_character.svg")
class_name EnsoulCharacter
extends Resource
## A generated non-player character, saved as a [code].tres[/code]: who they are, what they
## want, how they speak and behave, how they look, and the path of their body ([code].glb[/code]).
##
## The fields mirror the character document ([code]shared-schema/json/character.schema.json[/code],
## version 1) in snake_case. Objects of a fixed shape (attributes, personality, dialogue,
## appearance) are flattened into typed fields; lists of objects (skills, goals, routine…) are
## arrays of dictionaries that keep the schema's keys, e.g. [code]{"name", "rank", "description"}[/code].
## [codeblock]
## var character := EnsoulCharacter.from_generate_done(done)   # a GenerateDone from the sidecar
## ResourceSaver.save(character, "res://characters/mira.tres")
## var json := JSON.stringify(character.to_dict())             # the schema's document again
## [/codeblock]

## The schema version this resource mirrors.
const SCHEMA_VERSION := 1
## The document's top-level fields, in schema order (the order the sidecar streams them).
const FIELDS: PackedStringArray = [
	"schemaVersion", "name", "pronouns", "species", "role", "level", "age", "attributes",
	"skills", "abilities", "personality", "backstory", "goals", "dialogue", "behaviour",
	"appearance", "equipment",
]
## The six ability scores, in schema order.
const ATTRIBUTES: PackedStringArray = ["strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma"]
## The bark situations, in schema order.
const BARK_SITUATIONS: PackedStringArray = ["idle", "alert", "combat", "fleeing", "hurt", "victory", "trade"]

## The schema version of the document this came from.
@export var schema_version: int = SCHEMA_VERSION
## The character's full name.
@export var name: String = ""
@export_enum("he/him", "she/her", "they/them", "it/its") var pronouns: String = "they/them"
## Species or people, lower case (e.g. "dwarf").
@export var species: String = ""
## Class or trade, lower case (e.g. "blacksmith").
@export var role: String = ""
@export_range(1, 20) var level: int = 1
## Age in years.
@export_range(1, 999) var age: int = 30

@export_group("Attributes")
@export_range(1, 20) var strength: int = 10
@export_range(1, 20) var dexterity: int = 10
@export_range(1, 20) var constitution: int = 10
@export_range(1, 20) var intelligence: int = 10
@export_range(1, 20) var wisdom: int = 10
@export_range(1, 20) var charisma: int = 10

@export_group("Skills and abilities")
## [code]{"name": String, "rank": int (1-5), "description": String}[/code] each.
@export var skills: Array[Dictionary] = []
## [code]{"name": String, "description": String}[/code] each.
@export var abilities: Array[Dictionary] = []

@export_group("Personality")
@export var traits: PackedStringArray = []
@export var ideals: PackedStringArray = []
@export var bonds: PackedStringArray = []
@export var flaws: PackedStringArray = []

@export_group("Story and goals")
## Paragraphs of history, in order.
@export var backstory: PackedStringArray = []
## [code]{"description", "kind": "task"|"goal", "priority": int, "task": Array}[/code] or, for a
## goal, [code]"variable", "argument", "value"[/code] instead of [code]"task"[/code].
@export var goals: Array[Dictionary] = []

@export_group("Dialogue")
@export var greeting: String = ""
@export var farewell: String = ""
## Situation ([constant BARK_SITUATIONS]) → [PackedStringArray] of short lines.
@export var barks: Dictionary = {}
## Lines that show how the character speaks.
@export var voice_lines: PackedStringArray = []

@export_group("Behaviour")
## [code]{"time": "HH:MM", "description", "task": Array}[/code] each, in time order.
@export var routine: Array[Dictionary] = []
## [code]{"trigger", "description", "task": Array, "preferMethods": Array}[/code] each.
@export var reactions: Array[Dictionary] = []

@export_group("Appearance")
## Standing height in metres.
@export_range(0.5, 3.0, 0.01, "suffix:m") var height_m: float = 1.7
@export_enum("slender", "lean", "average", "athletic", "stocky", "heavy") var build: String = "average"
## Relative to an average human of the same height (1 = average), as are the next four.
@export_range(0.7, 1.3, 0.01) var shoulder_width: float = 1.0
@export_range(0.7, 1.3, 0.01) var hip_width: float = 1.0
@export_range(0.7, 1.3, 0.01) var arm_length: float = 1.0
@export_range(0.7, 1.3, 0.01) var leg_length: float = 1.0
@export_range(0.7, 1.3, 0.01) var head_size: float = 1.0
@export var skin_color: Color = Color.BURLYWOOD
@export var hair_color: Color = Color.SADDLE_BROWN
@export var eye_color: Color = Color.SADDLE_BROWN
## The clothing palette, main colour first.
@export var clothing_colors: PackedColorArray = []

@export_group("Equipment")
## [code]{"name", "slot", "description"}[/code] each.
@export var equipment: Array[Dictionary] = []

@export_group("Body and provenance")
## The character's rigged body, a [code].glb[/code] (empty until one is built and saved).
@export_file("*.glb") var body_path: String = ""
## What the character was generated from.
@export_multiline var prompt: String = ""
@export var seed: int = 0
## "procedural" or "llm".
@export var generator: String = ""

static var _last_error: String = ""


## A character from the sidecar's [code]GenerateDone[/code]; null when its JSON is not a
## character object ([method last_error] says why).
static func from_generate_done(done: EnsoulV1.GenerateDone) -> EnsoulCharacter:
	var character := from_json(done.character_json)
	if character != null:
		character.generator = done.generator
	return character


## A character from the document's JSON text; null when it is not a JSON object
## ([method last_error] says why). Fields the text lacks keep their defaults.
static func from_json(text: String) -> EnsoulCharacter:
	var json := JSON.new()
	if json.parse(text) != OK:
		_last_error = "character JSON, line %d: %s" % [json.get_error_line(), json.get_error_message()]
		return null
	if not json.data is Dictionary:
		_last_error = "the character JSON is not an object"
		return null
	_last_error = ""
	return from_dict(json.data)


## A character from the parsed document (as [method to_dict] writes it).
static func from_dict(document: Dictionary) -> EnsoulCharacter:
	var character := EnsoulCharacter.new()
	for field: String in document:
		character.apply_field(field, document[field])
	return character


## Why the last [method from_json] returned null ("" when it did not).
static func last_error() -> String:
	return _last_error


## Sets one top-level field of the document from its parsed JSON [param value]: the sidecar
## streams each field as it completes, so a view can fill in while the rest is written.
## Returns false for a field this schema does not have.
func apply_field(field: String, value: Variant) -> bool:
	match field:
		"schemaVersion": schema_version = int(value)
		"name": name = str(value)
		"pronouns": pronouns = str(value)
		"species": species = str(value)
		"role": role = str(value)
		"level": level = int(value)
		"age": age = int(value)
		"attributes":
			for attribute in ATTRIBUTES:
				set(attribute, int(_dict(value).get(attribute, 10)))
		"skills": skills = _records(value, ["rank"])
		"abilities": abilities = _records(value, [])
		"personality":
			var personality := _dict(value)
			traits = _strings(personality.get("traits"))
			ideals = _strings(personality.get("ideals"))
			bonds = _strings(personality.get("bonds"))
			flaws = _strings(personality.get("flaws"))
		"backstory": backstory = _strings(value)
		"goals": goals = _records(value, ["priority"])
		"dialogue":
			var dialogue := _dict(value)
			greeting = str(dialogue.get("greeting", ""))
			farewell = str(dialogue.get("farewell", ""))
			voice_lines = _strings(dialogue.get("voiceLines"))
			barks = {}
			var wire_barks := _dict(dialogue.get("barks"))
			for situation: String in wire_barks:
				barks[situation] = _strings(wire_barks[situation])
		"behaviour":
			var behaviour := _dict(value)
			routine = _records(behaviour.get("routine"), [])
			reactions = _records(behaviour.get("reactions"), [])
		"appearance": _apply_appearance(_dict(value))
		"equipment": equipment = _records(value, [])
		_: return false
	emit_changed()
	return true


## The character as the schema's document (camelCase keys, colours as "#rrggbb"): what the
## sidecar takes back, e.g. in a BodyBuild's character_json.
func to_dict() -> Dictionary:
	var attributes := {}
	for attribute in ATTRIBUTES:
		attributes[attribute] = get(attribute)
	var wire_barks := {}
	for situation: String in barks:
		wire_barks[situation] = Array(barks[situation])
	var clothing: Array[String] = []
	for color in clothing_colors:
		clothing.append(_hex(color))
	return {
		"schemaVersion": schema_version,
		"name": name,
		"pronouns": pronouns,
		"species": species,
		"role": role,
		"level": level,
		"age": age,
		"attributes": attributes,
		"skills": skills.duplicate(true),
		"abilities": abilities.duplicate(true),
		"personality": { "traits": Array(traits), "ideals": Array(ideals), "bonds": Array(bonds), "flaws": Array(flaws) },
		"backstory": Array(backstory),
		"goals": goals.duplicate(true),
		"dialogue": { "greeting": greeting, "farewell": farewell, "barks": wire_barks, "voiceLines": Array(voice_lines) },
		"behaviour": { "routine": routine.duplicate(true), "reactions": reactions.duplicate(true) },
		"appearance": {
			"heightM": height_m, "build": build, "shoulderWidth": shoulder_width, "hipWidth": hip_width,
			"armLength": arm_length, "legLength": leg_length, "headSize": head_size,
			"skinColor": _hex(skin_color), "hairColor": _hex(hair_color), "eyeColor": _hex(eye_color),
			"clothingColors": clothing,
		},
		"equipment": equipment.duplicate(true),
	}


## The document as JSON text (numbers at full precision, so a round trip keeps them).
func to_json() -> String:
	return JSON.stringify(to_dict(), "", false, true)


func _apply_appearance(appearance: Dictionary) -> void:
	height_m = float(appearance.get("heightM", height_m))
	build = str(appearance.get("build", build))
	shoulder_width = float(appearance.get("shoulderWidth", shoulder_width))
	hip_width = float(appearance.get("hipWidth", hip_width))
	arm_length = float(appearance.get("armLength", arm_length))
	leg_length = float(appearance.get("legLength", leg_length))
	head_size = float(appearance.get("headSize", head_size))
	skin_color = Color.html(str(appearance.get("skinColor", _hex(skin_color))))
	hair_color = Color.html(str(appearance.get("hairColor", _hex(hair_color))))
	eye_color = Color.html(str(appearance.get("eyeColor", _hex(eye_color))))
	clothing_colors = PackedColorArray()
	for hex: Variant in appearance.get("clothingColors", []):
		clothing_colors.append(Color.html(str(hex)))


## "#rrggbb" in lower case, as the schema writes colours.
static func _hex(color: Color) -> String:
	return "#" + color.to_html(false).to_lower()


static func _dict(value: Variant) -> Dictionary:
	return value if value is Dictionary else {}


static func _strings(value: Variant) -> PackedStringArray:
	var strings := PackedStringArray()
	if value is Array:
		for item: Variant in value:
			strings.append(str(item))
	return strings


## Copies a list of JSON objects; [param int_keys] come back as ints (JSON numbers parse as floats).
static func _records(value: Variant, int_keys: Array) -> Array[Dictionary]:
	var records: Array[Dictionary] = []
	if not value is Array:
		return records
	for item: Variant in value:
		if not item is Dictionary:
			continue
		var record: Dictionary = item.duplicate(true)
		for key: String in int_keys:
			if record.has(key):
				record[key] = int(record[key])
		records.append(record)
	return records
