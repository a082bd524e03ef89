extends Node
## The main scene's script in a test pack: finds the test scripts, runs every
## [code]test_*[/code] method of each, prints one machine-readable line per test and a summary,
## then quits with the number of failures as the exit code (0 when all passed).
##
## Output, one line each (the harness in [code]test/harness/[/code] parses them):
## [codeblock]
## ENSOUL-TEST PASS tests/test_codec.gd::test_round_trip 3ms
## ENSOUL-TEST FAIL tests/test_codec.gd::test_varint 1ms: expected 300, got 44
## ENSOUL-TEST SUMMARY passed=1 failed=1 total=2
## [/codeblock]
## User arguments (after [code]--[/code]): [code]--ensoul-tests=res://a,res://b.gd[/code]
## chooses the folders (searched recursively for [code]test_*.gd[/code]) or files to run,
## default [code]res://tests[/code].

const LINE_PREFIX := "ENSOUL-TEST"
const DEFAULT_ROOTS: PackedStringArray = ["res://tests"]
const TESTS_ARG := "--ensoul-tests="
## Exit codes stay small: some hosts read them as one byte.
const MAX_EXIT_CODE := 100

var _passed: int = 0
var _failed: int = 0


func _ready() -> void:
	_run_all.call_deferred()


func _run_all() -> void:
	for path in _find_test_scripts(_roots()):
		await _run_script(path)
	print("%s SUMMARY passed=%d failed=%d total=%d" % [LINE_PREFIX, _passed, _failed, _passed + _failed])
	get_tree().quit(mini(_failed, MAX_EXIT_CODE))


func _roots() -> PackedStringArray:
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with(TESTS_ARG):
			return arg.substr(TESTS_ARG.length()).split(",", false)
	return DEFAULT_ROOTS


## Every test script under [param roots], sorted: a root is a [code].gd[/code] file or a folder
## searched recursively for [code]test_*.gd[/code].
func _find_test_scripts(roots: PackedStringArray) -> PackedStringArray:
	var found := PackedStringArray()
	for root in roots:
		if root.ends_with(".gd"):
			found.append(root)
		else:
			_collect(root.trim_suffix("/"), found)
	found.sort()
	return found


func _collect(dir: String, found: PackedStringArray) -> void:
	for file in DirAccess.get_files_at(dir):
		if file.begins_with("test_") and file.ends_with(".gd"):
			found.append("%s/%s" % [dir, file])
	for sub in DirAccess.get_directories_at(dir):
		_collect("%s/%s" % [dir, sub], found)


func _run_script(path: String) -> void:
	var id := path.trim_prefix("res://")
	var script := load(path) as GDScript
	if script == null or not script.can_instantiate():
		_report(id, false, 0, "could not load the script (see the SCRIPT ERROR above)")
		return
	var methods := PackedStringArray()
	for method: Dictionary in script.get_script_method_list():
		var method_name: String = method["name"]
		if method_name.begins_with("test_") and (method["args"] as Array).is_empty() and not method_name in methods:
			methods.append(method_name)
	if methods.is_empty():
		_report(id, false, 0, "no test_* methods without arguments")
		return
	for method_name in methods:
		await _run_test(script, "%s::%s" % [id, method_name], method_name)


func _run_test(script: GDScript, id: String, method_name: String) -> void:
	var instance: Object = script.new()
	var test := instance as EnsoulTest
	if test == null:
		if instance is Node:
			(instance as Node).free()
		_report(id, false, 0, "the script does not extend EnsoulTest")
		return
	add_child(test)
	var started := Time.get_ticks_msec()
	var state := {"done": false}
	_call_test(test, method_name, state)
	var deadline := started + int(test.timeout_s * 1000.0)
	while not state["done"] and Time.get_ticks_msec() < deadline:
		await get_tree().process_frame
	var elapsed := Time.get_ticks_msec() - started
	if not state["done"]:
		# The suspended coroutine still uses the instance and its tree: leave both alone.
		_report(id, false, elapsed, "timed out after %.1f s" % test.timeout_s)
		return
	var failures := test.failures()
	var message := "" if failures.is_empty() else failures[0]
	if failures.size() > 1:
		message += " (and %d more)" % (failures.size() - 1)
	_report(id, failures.is_empty(), elapsed, message)
	test.queue_free()


## Runs before_each, the test and after_each, each possibly a coroutine, then marks [param state]
## done. Called without await: the runner polls [param state] to enforce the timeout.
func _call_test(test: Object, method_name: String, state: Dictionary) -> void:
	await test.call(&"before_each")
	await test.call(method_name)
	await test.call(&"after_each")
	state["done"] = true


func _report(id: String, passed: bool, elapsed_ms: int, message: String) -> void:
	if passed:
		_passed += 1
		print("%s PASS %s %dms" % [LINE_PREFIX, id, elapsed_ms])
	else:
		_failed += 1
		print("%s FAIL %s %dms: %s" % [LINE_PREFIX, id, elapsed_ms, message.replace("\n", "\\n")])
