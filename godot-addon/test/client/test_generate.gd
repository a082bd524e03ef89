extends SidecarTest
## EnsoulClient.generate and build_body against the real sidecar: a streamed procedural
## generation, and a body built for the character.


func test_a_generation_streams_deltas_and_fields_before_done() -> void:
	if not assert_true((await client.open()).ok):
		return
	var events: Array[String] = []
	var generation := client.generate("a grumpy dwarf blacksmith", 7, "procedural", {"level": 4, "name": "Borin"})
	assert_false(generation.is_done(), "generate() returns at once; the frames come later")
	generation.delta.connect(func(_text: String) -> void: events.append("delta"))
	generation.field_completed.connect(func(name: String, _value: Variant) -> void: events.append("field:" + name))
	generation.done.connect(func(_character: Dictionary) -> void: events.append("done"))
	generation.failed.connect(func(error: EnsoulResult) -> void: events.append("failed:" + str(error)))
	var result := await generation.wait()
	if not assert_true(result.ok, str(result)):
		return
	assert_eq(events.count("done"), 1, "done once")
	assert_eq(events.back(), "done", "done comes last")
	assert_true(events.find("delta") < events.find("done") and events.count("delta") > 1, "several deltas before done: %s" % [events.slice(0, 5)])
	var character := generation.character
	assert_eq(character.get("name"), "Borin", "the hint reached the generator")
	assert_eq(character.get("name"), user_arg("expected_name"))
	assert_eq(character, JSON.parse_string(user_arg("expected_json")), "the same character the TypeScript generator makes")
	assert_eq(JSON.parse_string(generation.text), character, "the streamed text is the character")
	for name: String in character.keys():
		assert_true(events.has("field:" + name), "field %s was reported" % name)
		assert_eq(generation.fields.get(name), character[name], "field %s's value" % name)
	assert_eq(generation.reply.generator, "procedural")


func test_two_generations_at_once_keep_their_own_frames() -> void:
	if not assert_true((await client.open()).ok):
		return
	var a := client.generate("a shy elf archer", 1)
	var b := client.generate("a loud orc cook", 2)
	var a_done := await a.wait()
	var b_done := await b.wait()
	assert_true(a_done.ok and b_done.ok, "%s %s" % [a_done, b_done])
	assert_eq(JSON.parse_string(a.text), a.character, "a's text is a's character")
	assert_eq(JSON.parse_string(b.text), b.character, "b's text is b's character")
	assert_ne(a.character, b.character)


func test_a_bad_request_fails_with_its_field_not_a_hang() -> void:
	if not assert_true((await client.open()).ok):
		return
	var failures: Array[EnsoulResult] = []
	var generation := client.generate("x", 0, "procedural", {"colour": "red"})
	generation.failed.connect(func(error: EnsoulResult) -> void: failures.append(error))
	var result := await generation.wait()
	assert_eq(result.error_name(), "INVALID_ARGUMENT", str(result))
	assert_eq(result.field, "generateRequest.hintsJson.colour")
	assert_eq(failures.size(), 1, "failed was emitted once")


func test_cancel_ends_the_generation_at_once() -> void:
	if not assert_true((await client.open()).ok):
		return
	var generation := client.generate("a tall gnome", 3)
	var deltas := [0]
	generation.delta.connect(func(_t: String) -> void: deltas[0] += 1)
	generation.cancel()
	var result := await generation.wait()
	assert_eq(result.error_name(), "CANCELLED")
	# Frames the sidecar still sends for it are dropped, and the connection goes on.
	var later := await client.ping()
	assert_true(later.ok, str(later))
	await get_tree().create_timer(0.2).timeout
	assert_eq(deltas[0], 0, "no delta after cancel")
	assert_true(generation.character.is_empty())


func test_cancelling_an_llm_generation_stops_it_on_the_sidecar() -> void:
	timeout_s = 40.0  # the first llm request loads the tiny model; set before the first await
	if not assert_true((await client.open()).ok):
		return
	var sampling := EnsoulV1.GenerateOptions.new()
	sampling.max_tokens = 4096  # uncancelled, the tiny model streams for most of a minute
	var generation := client.generate("a chatty bard", 5, "llm", {}, sampling)
	# Once text streams in, the model is loaded and generating: cancel mid-way.
	if not assert_true(await wait_until(func() -> bool: return not generation.text.is_empty() or generation.is_done(), 30.0), "a first delta"):
		return
	if not assert_false(generation.is_done(), "still generating: %s" % generation.result):
		return
	# client.test.ts reads the sidecar's /metrics at each CHECK line and compares them.
	print("CHECK-METRICS-BEFORE-CANCEL")
	await get_tree().create_timer(0.3).timeout
	generation.cancel()
	assert_eq(generation.result.error_name(), "CANCELLED", "cancel() ends the request at once")
	var later := await client.ping()
	assert_true(later.ok, str(later))
	await get_tree().create_timer(1.0).timeout
	print("CHECK-METRICS-AFTER-CANCEL")
	await get_tree().create_timer(0.5).timeout


func test_a_generated_character_gets_a_body() -> void:
	if not assert_true((await client.open()).ok):
		return
	var generation := client.generate("a stout halfling baker", 11)
	if not assert_true((await generation.wait()).ok):
		return
	var result := await client.build_body(generation.character, true)
	if not assert_true(result.ok, str(result)):
		return
	var built := result.envelope.body_built
	assert_eq(built.asset.content_type, "model/gltf-binary")
	assert_eq(built.asset.size_bytes, built.glb.size())
	assert_eq(built.glb.slice(0, 4).get_string_from_ascii(), "glTF", "a binary glTF")
	var bad := await client.build_body({"name": "no appearance"})
	assert_eq(bad.error_name(), "INVALID_ARGUMENT", str(bad))
	assert_eq(bad.field, "bodyBuild.characterJson.appearance")
