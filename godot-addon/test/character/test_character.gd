extends EnsoulTest
## EnsoulCharacter against a character the sidecar's procedural generator wrote
## (res://fixtures/character.json, seed and prompt from the TypeScript side).


func _fixture_text() -> String:
	return FileAccess.get_file_as_string("res://fixtures/character.json")


func test_from_json_keeps_every_field_of_the_sidecar_character() -> void:
	var character := EnsoulCharacter.from_json(_fixture_text())
	if not assert_not_null(character, "parsed: %s" % EnsoulCharacter.last_error()):
		return
	var expected: Dictionary = JSON.parse_string(_fixture_text())
	assert_eq(character.name, expected["name"])
	assert_eq(character.level, int(expected["level"]))
	assert_eq(character.strength, int(expected["attributes"]["strength"]))
	assert_eq(character.skills.size(), expected["skills"].size(), "skills")
	assert_eq(typeof(character.skills[0]["rank"]), TYPE_INT, "a skill's rank is an int")
	assert_eq(character.traits, PackedStringArray(expected["personality"]["traits"]))
	assert_eq(character.voice_lines, PackedStringArray(expected["dialogue"]["voiceLines"]))
	assert_eq(character.barks.keys().size(), 7, "every bark situation")
	assert_eq(character.skin_color.to_html(false), String(expected["appearance"]["skinColor"]).substr(1))
	# The whole document goes back to TypeScript, which compares it with the original.
	print("ENSOUL-CHARACTER %s" % character.to_json())


func test_saved_tres_loads_back_the_same_character() -> void:
	var character := EnsoulCharacter.from_json(_fixture_text())
	if not assert_not_null(character):
		return
	character.body_path = "user://characters/body.glb"
	character.seed = 42
	character.prompt = "a test prompt"
	var path := "user://characters/saved.tres"
	DirAccess.make_dir_recursive_absolute(path.get_base_dir())
	if not assert_eq(ResourceSaver.save(character, path), OK, "ResourceSaver.save"):
		return
	var text := FileAccess.get_file_as_string(path)
	assert_true(text.contains("EnsoulCharacter") or text.contains("ensoul_character.gd"), "the .tres names its script")
	var loaded := ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) as EnsoulCharacter
	if not assert_not_null(loaded, "loads back as EnsoulCharacter"):
		return
	var saved := character.to_dict()
	var reloaded := loaded.to_dict()
	for field: String in saved:
		assert_eq(JSON.stringify(reloaded[field], "", true, true), JSON.stringify(saved[field], "", true, true), "%s after the .tres" % field)
	assert_eq(loaded.body_path, "user://characters/body.glb")
	assert_eq(loaded.seed, 42)
	assert_eq(loaded.prompt, "a test prompt")


func test_fields_apply_one_at_a_time_as_they_stream() -> void:
	var character := EnsoulCharacter.new()
	var changes := [0]
	character.changed.connect(func() -> void: changes[0] += 1)
	assert_true(character.apply_field("name", "Brinna Hollowell"))
	assert_true(character.apply_field("attributes", JSON.parse_string('{"strength": 14, "wisdom": 7}')))
	assert_false(character.apply_field("favouriteColour", "blue"), "a field the schema lacks")
	assert_eq(character.name, "Brinna Hollowell")
	assert_eq(character.strength, 14)
	assert_eq(character.wisdom, 7)
	assert_eq(character.charisma, 10, "a missing attribute keeps the default")
	assert_eq(changes[0], 2, "changed once per applied field")


func test_bad_json_is_null_with_a_reason() -> void:
	assert_null(EnsoulCharacter.from_json("{\"name\": "))
	assert_true(EnsoulCharacter.last_error().contains("line"), EnsoulCharacter.last_error())
	assert_null(EnsoulCharacter.from_json("[1, 2]"))
	assert_true(EnsoulCharacter.last_error().contains("not an object"), EnsoulCharacter.last_error())
	var done := EnsoulV1.GenerateDone.new()
	done.character_json = _fixture_text()
	done.generator = "procedural"
	var character := EnsoulCharacter.from_generate_done(done)
	if assert_not_null(character):
		assert_eq(character.generator, "procedural")
		assert_eq(EnsoulCharacter.last_error(), "")
