extends Control
## The Characters dock in a window, driven by dock.test.ts with simulated input. This scene
## only watches and reports; every action on the dock comes from the mouse and keyboard:
##   DOCK-READY {rects}      the dock is connected; centres of the controls to click
##   DOCK-INPUT what=value   a control took input (the test waits for it before going on:
##                           the web build may handle a click before keys typed earlier)
##   (the test types a prompt and a seed, and clicks Generate)
##   DOCK-CHARACTER {json}   the generated character, as the dock holds it
##   DOCK-FIELDS {json}      what the fields view shows for each field
##   DOCK-STATUS text        the status line then
##   DOCK-GENERATED          streamed, filled, body shown: the test takes a screenshot, drags
##                           on the preview and clicks Save
##   DOCK-SAVED path         the .tres and .glb were written and load back
##   (the test picks the model generator, which this sidecar has no model for, and generates)
##   DOCK-ERROR-SHOWN text   the dock shows the sidecar's error, and stays usable
## With --mode=model (a sidecar with a model; the test picks the model generator and clicks
## Generate) the flow is instead:
##   DOCK-STREAMING {json}   the first frame drawn with at least n pieces of text in it, taken
##                           when the next piece arrives (so the stream is still going): how many
##                           pieces and fields it showed, whether the character was done, and
##                           the frame itself (PNG, base64) — a screenshot from inside the engine,
##                           since one taken by the page would come after the stream has ended
##   DOCK-CHARACTER, DOCK-FIELDS, DOCK-BONES, DOCK-GENERATED as above
##   (the test clicks Generate again)
##   DOCK-INPUT second-stream=started   the second generation is streaming in
##   (the test clicks Cancel)
##   DOCK-CANCELLED name     the dock stopped it and shows the first character again; it quits
##   DOCK-FAIL why           a check failed (the scene then quits with 1)

const DOCK_SCENE := "res://addons/ensoul/dock/characters_dock.tscn"

var dock: EnsoulCharactersDock
var failures: PackedStringArray = []
var deltas: int = 0
var fields_before_done: PackedStringArray = []
var done: bool = false
var expect_failure: bool = false
## What the last frame drawn showed (pieces of text, fields filled, characters of text).
var drawn := {"pieces": 0, "fields": 0, "text": 0}
var streaming_reported: bool = false


func _ready() -> void:
	var args := {}
	for arg in OS.get_cmdline_user_args():
		var parts := arg.trim_prefix("--").split("=", true, 1)
		args[parts[0]] = parts[1] if parts.size() > 1 else ""
	get_tree().create_timer(float(args.get("timeout-s", "50"))).timeout.connect(func() -> void: _finish("timed out"))
	dock = (load(DOCK_SCENE) as PackedScene).instantiate()
	dock.sidecar_url = args.get("url", "")
	dock.sidecar_token = args.get("token", "")
	dock.max_tokens = int(args.get("max-tokens", "0"))
	var streaming_at := int(args.get("report-streaming-at", "0"))
	RenderingServer.frame_post_draw.connect(func() -> void:
		drawn = {"pieces": deltas, "fields": fields_before_done.size(), "text": dock.streamed_text().length()})
	dock.text_streamed.connect(func(_text: String) -> void:
		deltas += 1
		# Another piece arrived, so the frame last drawn was drawn mid-stream. (Waiting for the next
		# frame instead could find the rest of the stream in it: pieces that arrive together are
		# all handled before the engine draws.)
		if streaming_at > 0 and not streaming_reported and not done and drawn.pieces >= streaming_at:
			streaming_reported = true
			_report_streaming_frame())
	dock.field_filled.connect(func(field: String) -> void:
		if not done:
			fields_before_done.append(field))
	dock.failed.connect(func(message: String) -> void:
		if not expect_failure:
			_check(false, "the dock reported: %s" % message))
	add_child(dock)
	dock.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	var prompt_edit := dock.get_node("%PromptEdit") as TextEdit
	prompt_edit.text_changed.connect(func() -> void: print("DOCK-INPUT prompt=%s" % prompt_edit.text))
	(dock.get_node("%SeedSpin") as SpinBox).value_changed.connect(func(value: float) -> void: print("DOCK-INPUT seed=%d" % value))
	var generator_option := dock.get_node("%GeneratorOption") as OptionButton
	generator_option.get_popup().about_to_popup.connect(_report_generator_menu.bind(generator_option.get_popup()))
	generator_option.item_selected.connect(func(index: int) -> void: print("DOCK-INPUT generator=%d" % index))
	var connected: Array = await dock.status_changed
	while not connected[0]:
		connected = await dock.status_changed
	await get_tree().process_frame
	print("DOCK-READY %s" % JSON.stringify({
		"prompt": _centre("%PromptEdit"),
		"seed": _centre("%SeedSpin"),
		"generate": _centre("%GenerateButton"),
		"preview": _centre("%Preview"),
		"save": _centre("%SaveButton"),
		"generator": _centre("%GeneratorOption"),
		"cancel": _centre("%CancelButton"),
		"status": dock.get_node("%StatusLabel").text,
	}))
	var generated: EnsoulCharacter = await dock.character_generated
	done = true
	_check_generation(generated)
	await dock.body_loaded
	_check_body()
	# Two frames so the preview has drawn the body before the screenshot.
	await get_tree().process_frame
	await get_tree().process_frame
	print("DOCK-STATUS %s" % (dock.get_node("%StatusLabel") as Label).text)
	print("DOCK-GENERATED")
	if args.get("mode", "") == "model":
		await _check_cancel(generated)
		_finish("")
		return
	var yaw_before := (dock.get_node("%Preview") as EnsoulBodyPreview).get_yaw()
	var path: String = await dock.saved
	_check(not is_equal_approx((dock.get_node("%Preview") as EnsoulBodyPreview).get_yaw(), yaw_before), "dragging on the preview orbits the camera")
	_check_saved(path, generated)
	print("DOCK-SAVED %s" % path)
	expect_failure = true
	var message: String = await dock.failed
	var shown: String = (dock.get_node("%MessageLabel") as Label).text
	_check(shown == message, "the error is shown in the dock")
	_check((dock.get_node("%GeneratorOption") as OptionButton).selected == 1, "the model generator was picked")
	_check(not (dock.get_node("%GenerateButton") as Button).disabled, "Generate works again after the error")
	await get_tree().process_frame
	print("DOCK-ERROR-SHOWN %s" % shown)
	await get_tree().create_timer(0.5).timeout  # the test's screenshot
	_finish("")


## Once the generator menu is open: where its second item (the model) is, for the test to click.
func _report_generator_menu(menu: PopupMenu) -> void:
	await get_tree().process_frame
	var rect := Rect2(Vector2(menu.position), Vector2(menu.size))
	var second := rect.position + Vector2(rect.size.x * 0.5, rect.size.y * 0.75)
	print("DOCK-INPUT generator-menu=%d,%d" % [roundi(second.x), roundi(second.y)])


## A second generation, cancelled by the test's click while it streams, leaves the dock showing
## the first character, ready to generate again.
func _check_cancel(first: EnsoulCharacter) -> void:
	var second_pieces := [0]
	dock.text_streamed.connect(func(_text: String) -> void:
		second_pieces[0] += 1
		if second_pieces[0] == 1:
			print("DOCK-INPUT second-stream=started"))
	var generated_again := [false]
	dock.character_generated.connect(func(_c: EnsoulCharacter) -> void: generated_again[0] = true)
	await (dock.get_node("%CancelButton") as Button).pressed
	await get_tree().create_timer(0.5).timeout
	_check(not generated_again[0], "the cancelled generation never finished")
	_check((dock.get_node("%MessageLabel") as Label).text == "Cancelled.", "the dock says it cancelled")
	_check(dock.character == first and dock.shown_field("name") == first.name, "the first character is shown again")
	_check(not (dock.get_node("%GenerateButton") as Button).disabled, "Generate is enabled again")
	_check((dock.get_node("%CancelButton") as Button).disabled, "Cancel is disabled again")
	_check(not (dock.get_node("%SaveButton") as Button).disabled, "the first character can still be saved")
	print("DOCK-CANCELLED %s" % first.name)


func _report_streaming_frame() -> void:
	var png := get_viewport().get_texture().get_image().save_png_to_buffer()
	print("DOCK-STREAMING %s" % JSON.stringify({
		"pieces": drawn.pieces, "fields": drawn.fields, "done": done,
		"text": drawn.text, "png": Marshalls.raw_to_base64(png),
	}))


func _check_generation(generated: EnsoulCharacter) -> void:
	_check(deltas > 1, "the text arrived in %d pieces, more than one" % deltas)
	var streamed: Variant = JSON.parse_string(dock.streamed_text())
	_check(streamed is Dictionary, "the streamed text is the character's JSON")
	var view_text: String = (dock.get_node("%StreamText") as TextEdit).text
	_check(view_text == dock.streamed_text(), "the text view shows all the streamed text")
	_check(fields_before_done.size() == EnsoulCharacter.FIELDS.size(), "every field filled before the end (%d)" % fields_before_done.size())
	print("DOCK-CHARACTER %s" % generated.to_json())
	var shown := {}
	for field in EnsoulCharacter.FIELDS:
		shown[field] = dock.shown_field(field)
	print("DOCK-FIELDS %s" % JSON.stringify(shown))


## The body from the sidecar's body service, as the preview loaded it: its skeleton maps onto
## Godot's humanoid profile with every required bone present and parented as the profile says.
func _check_body() -> void:
	var model := (dock.get_node("%Preview") as EnsoulBodyPreview).model
	if not _check(model != null, "the preview shows a body"):
		return
	var skeletons := model.find_children("*", "Skeleton3D", true, false)
	if not _check(skeletons.size() == 1, "the body has one Skeleton3D (%d)" % skeletons.size()):
		return
	var skeleton: Skeleton3D = skeletons[0]
	var profile := SkeletonProfileHumanoid.new()
	var bone_map := BoneMap.new()
	bone_map.profile = profile
	for i in profile.bone_size:
		var profile_bone := profile.get_bone_name(i)
		if skeleton.find_bone(profile_bone) >= 0:
			bone_map.set_skeleton_bone_name(profile_bone, profile_bone)
	var required := 0
	for i in profile.bone_size:
		var profile_bone := profile.get_bone_name(i)
		var mapped := bone_map.get_skeleton_bone_name(profile_bone)
		if profile.is_required(i):
			required += 1
			_check(mapped != &"", "required bone %s is mapped" % profile_bone)
		if mapped == &"":
			continue
		_check(bone_map.find_profile_bone_name(mapped) == profile_bone, "%s maps back to itself" % profile_bone)
		var parent := skeleton.get_bone_parent(skeleton.find_bone(mapped))
		var parent_name := &"" if parent < 0 else bone_map.find_profile_bone_name(skeleton.get_bone_name(parent))
		_check(parent_name == profile.get_bone_parent(i), "%s's parent is %s (got %s)" % [profile_bone, profile.get_bone_parent(i), parent_name])
	_check(required > 0, "the profile has required bones")
	print("DOCK-BONES %d of %d profile bones, %d required" % [skeleton.get_bone_count(), profile.bone_size, required])


func _check_saved(path: String, generated: EnsoulCharacter) -> void:
	var loaded := ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) as EnsoulCharacter
	if not _check(loaded != null, "%s loads as an EnsoulCharacter" % path):
		return
	_check(JSON.stringify(loaded.to_dict(), "", true, true) == JSON.stringify(generated.to_dict(), "", true, true), "the saved character is the generated one")
	_check(loaded.body_path.ends_with(".glb") and FileAccess.file_exists(loaded.body_path), "the body lies at %s" % loaded.body_path)
	var state := GLTFState.new()
	_check(GLTFDocument.new().append_from_buffer(FileAccess.get_file_as_bytes(loaded.body_path), "", state) == OK, "the saved .glb loads")
	_check(loaded.prompt != "" and loaded.seed == generated.seed, "the prompt and seed are saved")


func _centre(path: String) -> Array:
	var control := dock.get_node(path) as Control
	var centre := control.get_global_rect().get_center()
	return [roundi(centre.x), roundi(centre.y)]


func _check(ok: bool, what: String) -> bool:
	if not ok:
		failures.append(what)
		print("DOCK-FAIL %s" % what)
	return ok


func _finish(reason: String) -> void:
	if reason != "":
		_check(false, reason)
	get_tree().quit(0 if failures.is_empty() else 1)
