@tool
class_name EnsoulSettings
extends RefCounted
## The project settings under [code]ensoul/[/code]: where the sidecar is and the token to show
## it. The editor plugin registers them; the runtime reads them (an exported game has them in
## its project.godot as well).

## Project setting: WebSocket URL of the sidecar.
const URL_SETTING := "ensoul/sidecar/url"
## Project setting: bearer token sent in Hello.
const TOKEN_SETTING := "ensoul/sidecar/token"
## The sidecar's default address (`npm start` serves there).
const DEFAULT_URL := "ws://127.0.0.1:7317/v1/ws"


## Adds the settings with their defaults and hints where they are missing; keeps values already
## set. Returns the names it added.
static func register() -> PackedStringArray:
	var added := PackedStringArray()
	for setting: Dictionary in _definitions():
		var name: String = setting.name
		if not ProjectSettings.has_setting(name):
			ProjectSettings.set_setting(name, setting.default)
			added.append(name)
		ProjectSettings.set_initial_value(name, setting.default)
		ProjectSettings.add_property_info({"name": name, "type": TYPE_STRING, "hint": setting.hint, "hint_string": setting.hint_string})
		ProjectSettings.set_as_basic(name, true)
	return added


## The names of the settings this addon registers.
static func names() -> PackedStringArray:
	return PackedStringArray([URL_SETTING, TOKEN_SETTING])


## The configured sidecar URL ([constant DEFAULT_URL] when unset or empty).
static func sidecar_url() -> String:
	var value := str(ProjectSettings.get_setting(URL_SETTING, DEFAULT_URL))
	return value if not value.strip_edges().is_empty() else DEFAULT_URL


## The configured token ("" when unset).
static func sidecar_token() -> String:
	return str(ProjectSettings.get_setting(TOKEN_SETTING, ""))


static func _definitions() -> Array[Dictionary]:
	return [
		{"name": URL_SETTING, "default": DEFAULT_URL, "hint": PROPERTY_HINT_NONE, "hint_string": "ws://host:port/v1/ws"},
		{"name": TOKEN_SETTING, "default": "", "hint": PROPERTY_HINT_PASSWORD, "hint_string": ""},
	]


## Removes the settings that still hold their defaults (a value someone set stays in the
## project). Returns the names it removed.
static func unregister() -> PackedStringArray:
	var removed := PackedStringArray()
	for setting: Dictionary in _definitions():
		var name: String = setting.name
		if ProjectSettings.has_setting(name) and ProjectSettings.get_setting(name) == setting.default:
			ProjectSettings.set_setting(name, null)
			removed.append(name)
	return removed
