class_name EnsoulTest
extends Node
## Base class of every GDScript test that [code]test_runner.gd[/code] runs in the real engine.
##
## A test script extends [EnsoulTest] and declares [code]func test_something() -> void[/code]
## methods. The runner adds one fresh instance to the scene tree per test method (so
## [method Node.get_tree], timers and child nodes work), calls [method before_each], the test,
## then [method after_each], and frees the instance. A test may [code]await[/code].
## [br][br]
## Assertions record a failure and return [code]false[/code]; they do not stop the test, since
## GDScript has no exceptions. Write [code]if not assert_eq(a, b): return[/code] where later
## steps depend on an assertion. Note that the web export template is a release build: a
## runtime error (null call, bad index) is silent there and only shows as a failed assertion.

## Seconds one test may run before the runner reports it as timed out. Set it in
## [method before_each] or [code]_init[/code] for slow tests.
var timeout_s: float = 10.0

var _failures: PackedStringArray = PackedStringArray()


## Runs before each test method, on the fresh instance. May [code]await[/code].
func before_each() -> void:
	pass


## Runs after each test method (also after a failed one). May [code]await[/code].
func after_each() -> void:
	pass


## The failures recorded so far in this test, in order.
func failures() -> PackedStringArray:
	return _failures


## Records a failure with [param message]. Always returns [code]false[/code].
func fail(message: String) -> bool:
	_failures.append(message)
	return false


## Passes when [param condition] is true.
func assert_true(condition: bool, message: String = "") -> bool:
	return true if condition else _fail_with("expected true, got false", message)


## Passes when [param condition] is false.
func assert_false(condition: bool, message: String = "") -> bool:
	return true if not condition else _fail_with("expected false, got true", message)


## Passes when [param actual] equals [param expected]: same type (ints and floats compare as
## numbers, String and StringName as text) and equal by [code]==[/code], which compares Arrays,
## Dictionaries and packed arrays by content.
func assert_eq(actual: Variant, expected: Variant, message: String = "") -> bool:
	if values_equal(actual, expected):
		return true
	return _fail_with("expected %s, got %s" % [describe(expected), describe(actual)], message)


## Passes when [param actual] does not equal [param unexpected] (see [method assert_eq]).
func assert_ne(actual: Variant, unexpected: Variant, message: String = "") -> bool:
	if not values_equal(actual, unexpected):
		return true
	return _fail_with("expected a value other than %s" % describe(unexpected), message)


## Passes when [param actual] is within [param tolerance] of [param expected].
func assert_almost_eq(actual: float, expected: float, tolerance: float = 1e-6, message: String = "") -> bool:
	if absf(actual - expected) <= tolerance:
		return true
	return _fail_with("expected %s ± %s, got %s" % [expected, tolerance, actual], message)


## Passes when [param value] is null (a freed object counts as null).
func assert_null(value: Variant, message: String = "") -> bool:
	if value == null or (typeof(value) == TYPE_OBJECT and not is_instance_valid(value)):
		return true
	return _fail_with("expected null, got %s" % describe(value), message)


## Passes when [param value] is not null and, for an object, not freed.
func assert_not_null(value: Variant, message: String = "") -> bool:
	if value == null or (typeof(value) == TYPE_OBJECT and not is_instance_valid(value)):
		return _fail_with("expected a value, got null", message)
	return true


## Passes when [param container] (Array, Dictionary key set, String, packed array) holds
## [param item].
func assert_has(container: Variant, item: Variant, message: String = "") -> bool:
	var found := false
	match typeof(container):
		TYPE_DICTIONARY:
			found = (container as Dictionary).has(item)
		TYPE_STRING, TYPE_STRING_NAME:
			found = typeof(item) in [TYPE_STRING, TYPE_STRING_NAME] and String(container).contains(String(item))
		TYPE_ARRAY, TYPE_PACKED_BYTE_ARRAY, TYPE_PACKED_INT32_ARRAY, TYPE_PACKED_INT64_ARRAY, \
		TYPE_PACKED_FLOAT32_ARRAY, TYPE_PACKED_FLOAT64_ARRAY, TYPE_PACKED_STRING_ARRAY:
			found = container.has(item)
		_:
			return _fail_with("assert_has: %s is not a container" % describe(container), message)
	return true if found else _fail_with("expected %s to contain %s" % [describe(container), describe(item)], message)


## Passes when the two byte arrays are equal; otherwise reports the lengths, the first
## differing offset and the bytes around it in hex.
func assert_bytes_eq(actual: PackedByteArray, expected: PackedByteArray, message: String = "") -> bool:
	if actual == expected:
		return true
	var first := mini(actual.size(), expected.size())
	for i in mini(actual.size(), expected.size()):
		if actual[i] != expected[i]:
			first = i
			break
	var from := maxi(first - 8, 0)
	var detail := "bytes differ at offset %d (actual %d bytes, expected %d): actual[%d..] = %s, expected[%d..] = %s" % [
		first, actual.size(), expected.size(),
		from, _hex(actual.slice(from, first + 8)),
		from, _hex(expected.slice(from, first + 8)),
	]
	return _fail_with(detail, message)


## The value of a user argument [code]--name=value[/code] given after [code]--[/code] on the
## engine's command line (the harness's [code]userArgs[/code]), or [param default] if absent.
func user_arg(name: String, default: String = "") -> String:
	var prefix := "--%s=" % name
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with(prefix):
			return arg.substr(prefix.length())
	return default


## Waits, one frame at a time, until [param condition] returns true or [param wait_timeout_s]
## seconds have passed. Returns whether the condition became true.
func wait_until(condition: Callable, wait_timeout_s: float = 5.0) -> bool:
	var deadline := Time.get_ticks_msec() + int(wait_timeout_s * 1000.0)
	while not condition.call():
		if Time.get_ticks_msec() >= deadline:
			return false
		await get_tree().process_frame
	return true


## Whether two values are equal as [method assert_eq] defines it.
static func values_equal(a: Variant, b: Variant) -> bool:
	var ta := typeof(a)
	var tb := typeof(b)
	if ta == tb:
		return a == b
	var numbers := [TYPE_INT, TYPE_FLOAT]
	if ta in numbers and tb in numbers:
		return float(a) == float(b)
	var texts := [TYPE_STRING, TYPE_STRING_NAME]
	if ta in texts and tb in texts:
		return String(a) == String(b)
	return false


## A short, typed text form of [param value] for failure messages.
static func describe(value: Variant) -> String:
	var text := var_to_str(value).replace("\n", " ")
	return text if text.length() <= 200 else text.substr(0, 200) + "…"


func _fail_with(detail: String, message: String) -> bool:
	return fail(detail if message.is_empty() else "%s: %s" % [message, detail])


static func _hex(bytes: PackedByteArray) -> String:
	var parts := PackedStringArray()
	for b in bytes:
		parts.append("%02x" % b)
	return " ".join(parts)
