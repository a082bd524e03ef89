@tool
extends EditorPlugin
## Ensoul's editor layer, kept thin: it registers the [code]ensoul/sidecar/*[/code] project
## settings, the addon's types, and the Characters dock. Everything else is plain scenes and
## scripts that work at run time as well ([code]client/[/code], [code]runtime/[/code],
## [code]dock/[/code]); [method _exit_tree] undoes what [method _enter_tree] did.

const DOCK_SCENE := "res://addons/ensoul/dock/characters_dock.tscn"
## The addon's types for the Create dialogs: name, base class, script, icon.
const TYPES: Array[Array] = [
	["EnsoulAgent", "Node", "res://addons/ensoul/runtime/ensoul_agent.gd", "res://addons/ensoul/runtime/ensoul_agent.svg"],
	["EnsoulClient", "Node", "res://addons/ensoul/client/ensoul_client.gd", "res://addons/ensoul/client/ensoul_client.svg"],
	["EnsoulDomain", "Resource", "res://addons/ensoul/runtime/ensoul_domain.gd", "res://addons/ensoul/runtime/ensoul_domain.svg"],
	["EnsoulCharacter", "Resource", "res://addons/ensoul/runtime/ensoul_character.gd", "res://addons/ensoul/runtime/ensoul_character.svg"],
]

var _dock: Control = null
var _types_added: PackedStringArray = PackedStringArray()


func _enter_tree() -> void:
	EnsoulSettings.register()
	for type: Array in TYPES:
		if ResourceLoader.exists(type[2]):
			var icon: Texture2D = load(type[3]) if ResourceLoader.exists(type[3]) else null
			add_custom_type(type[0], type[1], load(type[2]), icon)
			_types_added.append(type[0])
	if ResourceLoader.exists(DOCK_SCENE):
		_dock = (load(DOCK_SCENE) as PackedScene).instantiate()
		_dock.name = "Characters"
		add_control_to_dock(DOCK_SLOT_RIGHT_UL, _dock)
	else:
		push_warning("Ensoul: %s is missing, so there is no Characters dock" % DOCK_SCENE)


func _exit_tree() -> void:
	if _dock:
		remove_control_from_docks(_dock)
		_dock.queue_free()
		_dock = null
	for type_name in _types_added:
		remove_custom_type(type_name)
	_types_added.clear()
	EnsoulSettings.unregister()
