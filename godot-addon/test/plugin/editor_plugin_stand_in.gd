extends Node
## Stands in for EditorPlugin, which the web export template lacks, so that plugin.gd can be
## compiled and run here: it records what the plugin asks the editor to do.

const DOCK_SLOT_RIGHT_UL := 4

## Custom type name → [base, script, icon].
var custom_types: Dictionary = {}
## Controls docked now.
var docks: Array[Control] = []


func add_custom_type(type: String, base: String, script: Script, icon: Texture2D) -> void:
	custom_types[type] = [base, script, icon]


func remove_custom_type(type: String) -> void:
	custom_types.erase(type)


func add_control_to_dock(_slot: int, control: Control) -> void:
	docks.append(control)


func remove_control_from_docks(control: Control) -> void:
	docks.erase(control)
