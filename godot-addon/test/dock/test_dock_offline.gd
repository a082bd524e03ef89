extends EnsoulTest
## The Characters dock without a sidecar (and so without the network): what it offers when none
## answers, saving, history, field rows, the body preview and the launcher's log reading.
## dock.test.ts puts a character from the TypeScript generator at res://fixtures/character.json.
## (Bodies are tested with the sidecar in dock_scene.gd: a real one makes this pack too big to boot.)

const DOCK_SCENE := "res://addons/ensoul/dock/characters_dock.tscn"
## Nothing listens on the discard port: connecting is refused at once.
const DEAD_URL := "ws://127.0.0.1:9/v1/ws"

var dock: EnsoulCharactersDock


func before_each() -> void:
	DirAccess.remove_absolute(EnsoulCharacterHistory.new().path)
	dock = (load(DOCK_SCENE) as PackedScene).instantiate()
	dock.sidecar_url = DEAD_URL
	dock.connect_on_ready = false
	add_child(dock)


## A small .glb made by the engine's own exporter: one box.
func _box_glb() -> PackedByteArray:
	var root := Node3D.new()
	var box := MeshInstance3D.new()
	box.name = "Box"
	box.mesh = BoxMesh.new()
	root.add_child(box)
	box.owner = root
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	document.append_from_scene(root, state)
	var bytes := document.generate_buffer(state)
	root.free()
	return bytes


func _fixture_character() -> EnsoulCharacter:
	return EnsoulCharacter.from_json(FileAccess.get_file_as_string("res://fixtures/character.json"))


func test_no_sidecar_offers_to_start_one_and_says_why_it_cannot_here() -> void:
	dock.connect_to_sidecar()
	var start := dock.get_node("%StartButton") as Button
	if not assert_true(await wait_until(func() -> bool: return start.visible, 8.0), "the Start button is offered"):
		return
	var status := (dock.get_node("%StatusLabel") as Label).text
	assert_true(status.contains(DEAD_URL), "the status names the URL: %s" % status)
	assert_true(status.contains("web build"), "the status says why it cannot start one here: %s" % status)
	assert_true(start.disabled, "a web build cannot start processes")
	assert_true(start.tooltip_text.contains("npx ensoul serve"), start.tooltip_text)
	assert_true((dock.get_node("%RetryButton") as Button).visible, "Reconnect is offered")
	assert_true((dock.get_node("%GenerateButton") as Button).disabled, "nothing to generate with")
	dock.start_sidecar()
	var log_text := (dock.get_node("%LogText") as TextEdit).text
	assert_true((dock.get_node("%LogPanel") as Control).visible, "the log panel opens")
	assert_true(log_text.contains("web build"), "the log says why nothing started: %s" % log_text)


func test_generate_without_a_sidecar_says_so() -> void:
	dock.generate()
	assert_true((dock.get_node("%MessageLabel") as Label).text.contains("Not connected"))
	assert_null(dock.character)


func test_save_writes_the_tres_and_the_glb_and_leaves_no_temporary_files() -> void:
	dock.character = _fixture_character()
	dock.body_glb = _box_glb()
	var folder := "user://offline_save"
	var path := dock.save_character(folder)
	if not assert_eq(path, "%s/%s.tres" % [folder, EnsoulCharacterFiles.file_stem(dock.character.name)]):
		return
	assert_eq(Array(DirAccess.get_files_at(folder)).filter(func(f: String) -> bool: return f.contains(".tmp")), [], "no temporary files")
	var loaded := ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) as EnsoulCharacter
	if not assert_not_null(loaded):
		return
	assert_eq(loaded.name, dock.character.name)
	assert_bytes_eq(FileAccess.get_file_as_bytes(loaded.body_path), dock.body_glb, "the .glb beside it")


func test_save_refuses_clearly_without_a_character_or_a_writable_folder() -> void:
	var reasons: Array[String] = []
	dock.failed.connect(func(message: String) -> void: reasons.append(message))
	assert_eq(dock.save_character("user://nothing"), "")
	dock.character = _fixture_character()
	# res:// is the read-only pack in an exported game.
	assert_eq(dock.save_character("res://not_writable"), "")
	assert_eq(reasons.size(), 2, str(reasons))
	if reasons.size() == 2:
		assert_true(reasons[0].contains("generate a character first"), reasons[0])
		assert_true(reasons[1].contains("res://not_writable"), reasons[1])


func test_history_keeps_one_entry_per_character_and_survives_a_new_dock() -> void:
	var character := _fixture_character()
	character.prompt = "a prompt"
	character.seed = 7
	character.generator = "procedural"
	assert_eq(dock.history.remember(character), OK)
	assert_eq(dock.history.remember(character), OK)
	assert_eq(dock.history.entries.size(), 1, "the same character twice is one entry")
	var again := (load(DOCK_SCENE) as PackedScene).instantiate() as EnsoulCharactersDock
	again.sidecar_url = DEAD_URL
	again.connect_on_ready = false
	add_child(again)
	var list := again.get_node("%HistoryList") as ItemList
	if not assert_eq(list.item_count, 1, "the new dock lists it"):
		return
	assert_eq(list.get_item_text(0), character.name)
	list.select(0)
	list.item_selected.emit(0)
	assert_eq(again.shown_field("name"), character.name, "choosing it shows it")
	assert_eq(again.character.seed, 7)
	assert_eq((again.get_node("%PromptEdit") as TextEdit).text, "a prompt")


func test_browse_opens_a_folder_dialog_that_fills_the_folder() -> void:
	(dock.get_node("%BrowseButton") as Button).pressed.emit()
	var dialogs := dock.find_children("*", "FileDialog", false, false)
	if not assert_eq(dialogs.size(), 1, "a FileDialog opens"):
		return
	var dialog := dialogs[0] as FileDialog
	assert_true(dialog.visible)
	assert_eq(dialog.file_mode, FileDialog.FILE_MODE_OPEN_DIR)
	assert_eq(dialog.access, FileDialog.ACCESS_USERDATA, "the default folder is under user://")
	dialog.dir_selected.emit("user://chosen")
	dialog.hide()
	assert_eq((dock.get_node("%FolderEdit") as LineEdit).text, "user://chosen")
	await get_tree().process_frame
	assert_eq(dock.find_children("*", "FileDialog", false, false).size(), 0, "the closed dialog is freed")


func test_every_field_has_a_row_that_shows_its_value() -> void:
	var character := _fixture_character()
	for field in EnsoulCharacter.FIELDS:
		var rows := EnsoulCharacterFields.describe_field(character, field)
		assert_false(rows.is_empty() or rows[0] == "", "%s has a value row" % field)
	assert_eq(EnsoulCharacterFields.describe_field(character, "skills").size(), character.skills.size() + 1, "one row per skill")
	assert_eq(EnsoulCharacterFiles.file_stem("Brinna  O'Hollow-Well!"), "brinna_o_hollow_well")
	assert_eq(EnsoulCharacterFiles.file_stem("???"), "character")


func test_body_preview_shows_a_glb_and_refuses_garbage() -> void:
	var preview := dock.get_node("%Preview") as EnsoulBodyPreview
	assert_ne(preview.show_glb(PackedByteArray([1, 2, 3])), OK, "garbage is refused")
	assert_null(preview.model, "and nothing is shown")
	var glb := _box_glb()
	assert_true(glb.size() > 100, "the exporter made a .glb")
	assert_eq(preview.show_glb(glb), OK)
	if assert_not_null(preview.model):
		assert_eq(preview.model.find_children("*", "MeshInstance3D", true, false).size(), 1, "the box")
	var yaw := preview.get_yaw()
	preview.orbit(0.5, 0.0)
	assert_almost_eq(preview.get_yaw(), wrapf(yaw + 0.5, -PI, PI), 0.0001, "orbit turns the camera")


func test_the_sidecar_command_setting_may_be_a_list_or_a_line() -> void:
	var fallback := PackedStringArray(["npx", "ensoul", "serve"])
	assert_eq(EnsoulCharactersDock.command_setting(fallback), fallback, "unset")
	ProjectSettings.set_setting(EnsoulCharactersDock.SETTING_COMMAND, "node  sidecar/dist/cli/main.js serve")
	assert_eq(EnsoulCharactersDock.command_setting(fallback), PackedStringArray(["node", "sidecar/dist/cli/main.js", "serve"]))
	ProjectSettings.set_setting(EnsoulCharactersDock.SETTING_COMMAND, ["npm", "start"])
	assert_eq(EnsoulCharactersDock.command_setting(fallback), PackedStringArray(["npm", "start"]))
	ProjectSettings.set_setting(EnsoulCharactersDock.SETTING_COMMAND, "")
	assert_eq(EnsoulCharactersDock.command_setting(fallback), fallback, "empty")
	ProjectSettings.set_setting(EnsoulCharactersDock.SETTING_COMMAND, null)


func test_launcher_reads_the_admin_token_a_new_sidecar_prints() -> void:
	var launcher := EnsoulSidecarLauncher.new()
	add_child(launcher)
	var tokens: Array[String] = []
	launcher.token_found.connect(func(token: String) -> void: tokens.append(token))
	launcher._append("ensoul sidecar listening on ws://127.0.0.1:7317/v1/ws\nadmin token (shown once; kept in .ensoul/admin-token, mode 0600):\n")
	launcher._append("  ens_abc123\nready\n")
	assert_eq(tokens, ["ens_abc123"] as Array[String])
	assert_eq(launcher.token, "ens_abc123")
	assert_false(EnsoulSidecarLauncher.can_launch(), "not in a web build")
	assert_eq(launcher.launch(), ERR_UNAVAILABLE)
