extends EnsoulTest
## plugin.gd, compiled against a stand-in for EditorPlugin (the web build has no editor
## classes): it registers the settings, the types and the dock, and _exit_tree undoes it.

const PLUGIN_PATH := "res://addons/ensoul/plugin.gd"
const STAND_IN := "res://test/plugin/editor_plugin_stand_in.gd"


func _compile_plugin() -> GDScript:
	var source := FileAccess.get_file_as_string(PLUGIN_PATH)
	if not assert_eq(source.count("extends EditorPlugin"), 1, "plugin.gd extends EditorPlugin once"):
		return null
	var script := GDScript.new()
	script.source_code = source.replace("extends EditorPlugin", "extends \"%s\"" % STAND_IN)
	if not assert_eq(script.reload(), OK, "plugin.gd compiles"):
		return null
	return script


func test_the_plugin_registers_settings_types_and_the_dock_and_undoes_them() -> void:
	var script := _compile_plugin()
	if script == null:
		return
	assert_true(script.is_tool(), "plugin.gd is @tool")
	for name in EnsoulSettings.names():
		ProjectSettings.set_setting(name, null)
	var plugin: Node = script.new()
	add_child(plugin)
	assert_eq(ProjectSettings.get_setting("ensoul/sidecar/url"), EnsoulSettings.DEFAULT_URL)
	assert_true(ProjectSettings.has_setting("ensoul/sidecar/token"))
	assert_eq(plugin.custom_types.keys(), ["EnsoulAgent", "EnsoulClient", "EnsoulDomain", "EnsoulCharacter"])
	assert_eq(plugin.custom_types["EnsoulAgent"][0], "Node")
	assert_eq((plugin.custom_types["EnsoulAgent"][1] as Script).get_global_name(), &"EnsoulAgent")
	assert_eq(plugin.custom_types["EnsoulDomain"][0], "Resource")
	if not assert_eq(plugin.docks.size(), 1, "the Characters dock"):
		return
	var dock: Control = plugin.docks[0]
	assert_eq(dock.name, &"Characters")
	remove_child(plugin)
	assert_eq(plugin.custom_types, {}, "types removed")
	assert_eq(plugin.docks, [] as Array[Control], "dock removed")
	assert_false(ProjectSettings.has_setting("ensoul/sidecar/url"), "default settings removed")
	plugin.free()
