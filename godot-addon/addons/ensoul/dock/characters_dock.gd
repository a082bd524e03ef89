@tool
class_name EnsoulCharactersDock
extends VBoxContainer
## The "Characters" dock: describe a character, generate it with the sidecar (the text streams
## in and the fields fill as they complete), preview its body in 3D, save it as an
## [EnsoulCharacter] [code].tres[/code] with its [code].glb[/code]. Plain Control nodes only: the
## editor plugin adds this scene as a dock, and games and tests can instance it as it is.

## The sidecar's connection changed; [param text] is what the status line shows.
signal status_changed(connected: bool, text: String)
## A piece of the character's JSON text arrived.
signal text_streamed(text: String)
## A top-level field of the character was completed (streamed before the whole character).
signal field_filled(field: String)
## A generation ended with the character (also added to the history).
signal character_generated(character: EnsoulCharacter)
## The body of the current character was built and is shown in the preview.
signal body_loaded(glb: PackedByteArray)
## Something went wrong; [param message] is also shown in the dock.
signal failed(message: String)
## The character was saved: its [code].tres[/code] path (the [code].glb[/code] lies beside it).
signal saved(path: String)

## Project setting: the command that starts a sidecar (an array of strings). The sidecar's URL
## and token are [EnsoulSettings]'.
const SETTING_COMMAND := "ensoul/sidecar/command"
## Project setting: the folder that command runs in (e.g. the Ensoul checkout; "" for the project).
const SETTING_COMMAND_DIR := "ensoul/sidecar/command_dir"
## Generators offered, as the protocol names them, with their labels.
const GENERATORS: Array[Array] = [["procedural", "Procedural"], ["llm", "Model (llm)"]]
## Seconds between latency pings while connected.
const PING_INTERVAL_S := 5.0
## How often to retry connecting after starting a sidecar, and for how long.
const LAUNCH_RETRY_S := 1.0
const LAUNCH_WAIT_S := 60.0

const COLOR_OK := Color(0.45, 0.85, 0.5)
const COLOR_WAIT := Color(0.95, 0.8, 0.35)
const COLOR_BAD := Color(0.95, 0.45, 0.4)

## The sidecar's WebSocket URL ("" reads the project setting, see [EnsoulSettings]).
@export var sidecar_url: String = ""
## Bearer token ("" reads the project setting, see [EnsoulSettings]).
@export var sidecar_token: String = ""
## Command that starts a sidecar when none answers (empty reads [constant SETTING_COMMAND]).
@export var sidecar_command: PackedStringArray = PackedStringArray()
## The folder the command runs in ("" reads [constant SETTING_COMMAND_DIR]).
@export_global_dir var sidecar_command_dir: String = ""
## Connect when the dock enters the tree.
@export var connect_on_ready: bool = true
## The most tokens the model generator may write (0: the sidecar's default); fewer is faster
## and the character is still complete.
@export_range(0, 8192) var max_tokens: int = 0

## The client the dock talks through (a child of the dock).
var client: EnsoulClient
## The character being generated or shown; null before the first generation.
var character: EnsoulCharacter = null
## The current character's body, or empty until it is built.
var body_glb: PackedByteArray = PackedByteArray()
## Every character generated, newest first, kept between sessions.
var history := EnsoulCharacterHistory.new()
## The last measured round trip to the sidecar in ms (-1 before the first).
var latency_ms: float = -1.0

var _launcher: EnsoulSidecarLauncher
var _generation: EnsoulGeneration = null
var _incoming: EnsoulCharacter = null  # the character the current generation fills
var _previous: Dictionary = {}  # what the view showed before _incoming's first piece
var _streamed_text: String = ""
var _ping_left_s: float = PING_INTERVAL_S
var _launch_wait_left_s: float = 0.0
var _launch_retry_left_s: float = 0.0

@onready var _status_dot: Panel = %StatusDot
@onready var _status_label: Label = %StatusLabel
@onready var _retry_button: Button = %RetryButton
@onready var _start_button: Button = %StartButton
@onready var _prompt_edit: TextEdit = %PromptEdit
@onready var _seed_spin: SpinBox = %SeedSpin
@onready var _random_seed_button: Button = %RandomSeedButton
@onready var _generator_option: OptionButton = %GeneratorOption
@onready var _generate_button: Button = %GenerateButton
@onready var _cancel_button: Button = %CancelButton
@onready var _history_list: ItemList = %HistoryList
@onready var _fields: EnsoulCharacterFields = %FieldsTree
@onready var _stream_text: TextEdit = %StreamText
@onready var _preview: EnsoulBodyPreview = %Preview
@onready var _folder_edit: LineEdit = %FolderEdit
@onready var _browse_button: Button = %BrowseButton
@onready var _save_button: Button = %SaveButton
@onready var _message_label: Label = %MessageLabel
@onready var _log_panel: Control = %LogPanel
@onready var _log_text: TextEdit = %LogText


func _ready() -> void:
	if _is_edited_scene():
		return  # opened in the editor for editing: show the layout, talk to nobody
	for entry in GENERATORS:
		_generator_option.add_item(entry[1])
	_folder_edit.text = "res://characters" if Engine.is_editor_hint() else "user://characters"
	_fields.clear_fields()
	client = EnsoulClient.new()
	client.name = "Client"
	client.use_project_settings()
	if sidecar_url != "":
		client.url = sidecar_url
	if sidecar_token != "":
		client.token = sidecar_token
	client.connected.connect(_on_connected)
	client.disconnected.connect(_on_disconnected)
	add_child(client)
	_launcher = EnsoulSidecarLauncher.new()
	_launcher.name = "Launcher"
	_launcher.command = sidecar_command if not sidecar_command.is_empty() else command_setting(_launcher.command)
	_launcher.working_directory = sidecar_command_dir if sidecar_command_dir != "" else str(ProjectSettings.get_setting(SETTING_COMMAND_DIR, ""))
	_launcher.log_received.connect(_on_launcher_log)
	_launcher.token_found.connect(func(token: String) -> void: client.token = token)
	_launcher.stopped.connect(_on_launcher_stopped)
	add_child(_launcher)
	_retry_button.pressed.connect(connect_to_sidecar)
	_start_button.pressed.connect(start_sidecar)
	_random_seed_button.pressed.connect(func() -> void: _seed_spin.value = randi())
	_generate_button.pressed.connect(generate)
	_cancel_button.pressed.connect(cancel)
	_browse_button.pressed.connect(_browse_folder)
	_save_button.pressed.connect(func() -> void: save_character())
	_history_list.item_selected.connect(_on_history_selected)
	history.load_entries()
	_show_history()
	_set_status(false, "Sidecar: not connected", COLOR_WAIT)
	if connect_on_ready:
		connect_to_sidecar()


func _process(delta: float) -> void:
	if client == null:
		return
	if client.is_open():
		_ping_left_s -= delta
		if _ping_left_s <= 0.0:
			_ping_left_s = PING_INTERVAL_S
			_measure_latency()
	elif _launch_wait_left_s > 0.0 and client.state == EnsoulClient.State.DISCONNECTED:
		_launch_wait_left_s -= delta
		_launch_retry_left_s -= delta
		if _launch_retry_left_s <= 0.0:
			_launch_retry_left_s = LAUNCH_RETRY_S
			_try_connect(false)


## Connects to the sidecar at the configured URL; when none answers, offers to start one.
func connect_to_sidecar() -> void:
	_launch_wait_left_s = 0.0
	await _try_connect(true)


## Starts a sidecar with the configured command and connects once it answers.
func start_sidecar() -> void:
	_log_panel.visible = true
	if _launcher.launch() != OK:
		return
	_start_button.disabled = true
	_set_status(false, "Sidecar: starting…", COLOR_WAIT)
	_launch_wait_left_s = LAUNCH_WAIT_S
	_launch_retry_left_s = LAUNCH_RETRY_S


## Generates a character from the prompt, seed and generator in the dock. The text streams into
## the view, each field fills as it completes, then the body is built and previewed.
func generate() -> void:
	if not client.is_open():
		_show_message("Not connected to the sidecar: connect or start one first.", true)
		return
	cancel()
	# The view keeps the previous character until the first piece arrives: a request the
	# sidecar refuses leaves it as it was.
	_incoming = EnsoulCharacter.new()
	_incoming.prompt = _prompt_edit.text.strip_edges()
	_incoming.seed = int(_seed_spin.value)
	_incoming.generator = GENERATORS[_generator_option.selected][0]
	_set_busy(true)
	_show_message("Generating…", false)
	var sampling: EnsoulV1.GenerateOptions = null
	if max_tokens > 0 and _incoming.generator == "llm":
		sampling = EnsoulV1.GenerateOptions.new()
		sampling.max_tokens = max_tokens
	var generation := client.generate(_incoming.prompt, _incoming.seed, _incoming.generator, {}, sampling)
	_generation = generation
	generation.delta.connect(_on_text_streamed.bind(generation))
	generation.field_completed.connect(_on_field_completed.bind(generation))
	generation.done.connect(_on_generation_done.bind(generation))
	var result := await generation.wait()
	if _generation != generation:
		return  # cancelled or replaced by a newer generation
	_generation = null
	_set_busy(false)
	if not result.ok:
		_restore_previous()
		_fail("Generation failed: %s (%s)" % [result.message, result.error_name()])
		return
	_show_message("Generated %s. Building the body…" % character.name, false)
	history.remember(character)
	_show_history()
	character_generated.emit(character)
	await build_body()


## Stops the generation in progress, if any.
func cancel() -> void:
	if _generation == null:
		return
	var generation := _generation
	_generation = null
	generation.cancel()
	_set_busy(false)
	_restore_previous()
	_show_message("Cancelled.", false)


## Asks the sidecar's body service for the current character's body and shows it.
func build_body() -> void:
	if character == null:
		return
	var shown := character
	var result := await client.build_body(character.to_dict(), true)
	if shown != character:
		return  # a newer character replaced it meanwhile
	if not result.ok:
		_fail("Body failed: %s (%s)" % [result.message, result.error_name()])
		return
	var glb := result.envelope.body_built.glb
	var err := _preview.show_glb(glb)
	if err != OK:
		_fail("The body could not be loaded: %s" % error_string(err))
		return
	body_glb = glb
	_save_button.disabled = false
	_show_message("%s is ready: save to keep the character and the body." % character.name, false)
	body_loaded.emit(glb)


## Saves the current character under [param folder] (default: the folder field) as
## [code]<name>.tres[/code] with [code]<name>.glb[/code] beside it. Returns the .tres path, or ""
## after showing why not. Each file is written beside its final name and then renamed into
## place, so a failed save never leaves half a file behind.
func save_character(folder: String = "") -> String:
	if character == null:
		_fail("Nothing to save yet: generate a character first.")
		return ""
	var path := EnsoulCharacterFiles.save(character, body_glb, folder if folder != "" else _folder_edit.text)
	if path == "":
		_fail(EnsoulCharacterFiles.last_error())
		return ""
	_show_message("Saved %s" % path, false)
	saved.emit(path)
	return path


## The text the fields view shows for [param field] now ("" while it has not arrived).
func shown_field(field: String) -> String:
	return _fields.shown(field)


## The character JSON text streamed so far in this generation.
func streamed_text() -> String:
	return _streamed_text


func _on_text_streamed(text: String, generation: EnsoulGeneration) -> void:
	if generation != _generation:
		return
	if character != _incoming:
		_show_incoming()
	_streamed_text += text
	_show_text_end(_stream_text, _streamed_text)
	text_streamed.emit(text)


func _on_field_completed(field: String, value: Variant, generation: EnsoulGeneration) -> void:
	if generation != _generation:
		return
	if character != _incoming:
		_show_incoming()
	if character.apply_field(field, value):
		_fields.show_field(character, field)
		field_filled.emit(field)


## The validated character replaces the one the fields filled (same values, and now checked).
func _on_generation_done(_document: Dictionary, generation: EnsoulGeneration) -> void:
	if generation != _generation:
		return
	var finished := EnsoulCharacter.from_generate_done(generation.reply)
	if finished == null:
		return  # the generation itself fails on a character that is not a JSON object
	finished.prompt = _incoming.prompt
	finished.seed = _incoming.seed
	character = finished
	_incoming = finished
	_previous = {}
	_fields.show_character(character)


## Clears the view for the character that has started to stream in.
func _show_incoming() -> void:
	_previous = {"character": character, "glb": body_glb, "text": _streamed_text}
	character = _incoming
	body_glb = PackedByteArray()
	_preview.clear()
	_streamed_text = ""
	_stream_text.text = ""
	_fields.clear_fields()
	_save_button.disabled = true


## Puts back the character shown before a generation that stopped part way (cancelled or
## failed), so a half-written character never replaces a whole one.
func _restore_previous() -> void:
	if _previous.is_empty() or character != _incoming:
		return  # nothing had streamed in: the view still shows the previous character
	character = _previous["character"]
	body_glb = _previous["glb"]
	_streamed_text = _previous["text"]
	_previous = {}
	_stream_text.text = _streamed_text
	_fields.show_character(character)
	_preview.clear()
	if not body_glb.is_empty():
		_preview.show_glb(body_glb)
	_save_button.disabled = character == null or body_glb.is_empty()


func _try_connect(offer_launch: bool) -> void:
	if client.state != EnsoulClient.State.DISCONNECTED:
		return
	_set_status(false, "Sidecar: connecting to %s…" % client.url, COLOR_WAIT)
	var opened := await client.open()
	if opened.ok:
		return
	if _launch_wait_left_s > 0.0:
		return  # a started sidecar may still be booting: _process retries
	var launch_note := "" if EnsoulSidecarLauncher.can_launch() else " (%s)" % EnsoulSidecarLauncher.why_not()
	_set_status(false, "Sidecar: none answers at %s (%s)%s" % [client.url, opened.message, launch_note], COLOR_BAD)
	_start_button.visible = offer_launch or _start_button.visible
	_start_button.disabled = not EnsoulSidecarLauncher.can_launch()
	_start_button.tooltip_text = EnsoulSidecarLauncher.why_not() if _start_button.disabled else "Run: %s" % " ".join(_launcher.command)


func _on_connected(welcome: EnsoulV1.Welcome) -> void:
	_launch_wait_left_s = 0.0
	_start_button.visible = false
	_set_status(true, "Sidecar: connected · version %s" % welcome.server_version, COLOR_OK)
	_measure_latency()


func _on_disconnected(code: int, reason: String) -> void:
	var why := reason if reason != "" else "code %d" % code
	_set_status(false, "Sidecar: disconnected (%s)" % why, COLOR_BAD)
	if _generation != null:
		_generation = null
		_set_busy(false)


func _measure_latency() -> void:
	var measured := await client.latency_ms()
	if measured < 0.0 or client.welcome == null:
		return
	latency_ms = measured
	_set_status(true, "Sidecar: connected · version %s · %.0f ms" % [client.welcome.server_version, latency_ms], COLOR_OK)


func _on_launcher_log(text: String) -> void:
	_show_text_end(_log_text, _log_text.text + text)


func _on_launcher_stopped(message: String) -> void:
	_launch_wait_left_s = 0.0
	_start_button.disabled = not EnsoulSidecarLauncher.can_launch()
	_log_panel.visible = true
	_log_text.text += "[%s]\n" % message
	if not client.is_open():
		_set_status(false, "Sidecar: %s" % message, COLOR_BAD)


func _browse_folder() -> void:
	var dialog := FileDialog.new()
	dialog.file_mode = FileDialog.FILE_MODE_OPEN_DIR
	dialog.access = FileDialog.ACCESS_USERDATA if _folder_edit.text.begins_with("user://") else FileDialog.ACCESS_RESOURCES
	dialog.title = "Save characters into"
	dialog.dir_selected.connect(func(dir: String) -> void: _folder_edit.text = dir)
	dialog.visibility_changed.connect(func() -> void:
		if not dialog.visible:
			dialog.queue_free())
	add_child(dialog)
	dialog.popup_centered_ratio(0.6)


func _on_history_selected(index: int) -> void:
	cancel()
	var chosen := history.character_at(index)
	if chosen == null:
		_fail("History entry %d is damaged: %s" % [index, EnsoulCharacter.last_error()])
		return
	character = chosen
	_prompt_edit.text = chosen.prompt
	_seed_spin.value = chosen.seed
	_streamed_text = history.entries[index]["json"]
	_stream_text.text = _streamed_text
	_fields.show_character(chosen)
	body_glb = PackedByteArray()
	_preview.clear()
	_save_button.disabled = true
	if client.is_open():
		await build_body()


func _show_history() -> void:
	_history_list.clear()
	for i in history.entries.size():
		var item := _history_list.add_item(history.title_of(i))
		_history_list.set_item_tooltip(item, history.describe(i))


func _set_status(connected: bool, text: String, color: Color) -> void:
	_status_label.text = text
	_status_label.tooltip_text = text
	var dot := StyleBoxFlat.new()
	dot.bg_color = color
	dot.set_corner_radius_all(6)
	_status_dot.add_theme_stylebox_override("panel", dot)
	_retry_button.visible = not connected
	_generate_button.disabled = not connected or _generation != null
	status_changed.emit(connected, text)


func _set_busy(busy: bool) -> void:
	_generate_button.disabled = busy or not client.is_open()
	_cancel_button.disabled = not busy


## Sets [param view]'s text and scrolls to its end (wrapped lines included).
static func _show_text_end(view: TextEdit, text: String) -> void:
	view.text = text
	var last := view.get_line_count() - 1
	view.set_caret_line(last)
	view.set_caret_column(view.get_line(last).length())
	view.adjust_viewport_to_caret()


func _show_message(text: String, is_error: bool) -> void:
	_message_label.text = text
	_message_label.add_theme_color_override("font_color", COLOR_BAD if is_error else Color(0.8, 0.82, 0.86))


func _fail(message: String) -> void:
	_show_message(message, true)
	failed.emit(message)


## The project's sidecar command ([constant SETTING_COMMAND]): an array of strings, or one
## string split at spaces; [param fallback] when it is unset or empty.
static func command_setting(fallback: PackedStringArray) -> PackedStringArray:
	var value: Variant = ProjectSettings.get_setting(SETTING_COMMAND, fallback)
	var command := PackedStringArray()
	if value is String:
		command = (value as String).split(" ", false)
	elif value is Array or value is PackedStringArray:
		for part: Variant in value:
			command.append(str(part))
	return command if not command.is_empty() else fallback


## True when this scene is open in the editor as the scene being edited (not running as a dock).
func _is_edited_scene() -> bool:
	if not Engine.is_editor_hint():
		return false
	var edited: Variant = get_tree().get("edited_scene_root")
	return edited is Node and (edited == self or (edited as Node).is_ancestor_of(self))
