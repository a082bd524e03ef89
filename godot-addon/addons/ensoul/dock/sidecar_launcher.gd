class_name EnsoulSidecarLauncher
extends Node
## Starts a local sidecar process for the dock when none answers, and collects its output.
## Needs [method OS.execute_with_pipe], which desktop builds have and web builds do not: check
## [method can_launch] first ([method why_not] says why not, for the dock to show).

## The process wrote [param text] (stdout and stderr, as it arrives).
signal log_received(text: String)
## The process printed a new admin token (first start of a fresh data folder).
signal token_found(token: String)
## The process ended (or could not start); [param message] says how.
signal stopped(message: String)

## The command and its arguments, e.g. [code]["npx", "ensoul", "serve"][/code].
@export var command: PackedStringArray = PackedStringArray(["npx", "ensoul", "serve"])
## The folder the command runs in ("" for the project's folder).
@export var working_directory: String = ""

## The running process's id, or 0.
var pid: int = 0
## Everything the process wrote so far.
var log_text: String = ""
## The admin token the process printed, or "".
var token: String = ""

var _stdio: FileAccess = null
var _stderr: FileAccess = null


## True where this build can start processes (desktop editor and games, not the web).
static func can_launch() -> bool:
	return why_not() == ""


## Why [method can_launch] is false, or "".
static func why_not() -> String:
	if OS.has_feature("web"):
		return "a web build cannot start processes: start the sidecar yourself (npx ensoul serve)"
	if not OS.has_method("execute_with_pipe"):
		return "this Godot version cannot read a process's output (needs 4.3 or later)"
	return ""


## Starts [member command]. Returns [constant OK], or an error after emitting [signal stopped].
func launch() -> Error:
	if pid != 0 and OS.is_process_running(pid):
		return ERR_ALREADY_IN_USE
	var reason := why_not()
	if reason == "" and command.is_empty():
		reason = "no sidecar command is configured (ensoul/sidecar/command)"
	if reason != "":
		stopped.emit(reason)
		return ERR_UNAVAILABLE
	var args := command.slice(1)
	var program := command[0]
	if working_directory != "":
		# execute_with_pipe has no working-directory parameter: go through the shell.
		var quoted: Array[String] = []
		for part in command:
			quoted.append("'%s'" % part.replace("'", "'\\''"))
		program = "/bin/sh"
		args = PackedStringArray(["-c", "cd '%s' && exec %s" % [ProjectSettings.globalize_path(working_directory).replace("'", "'\\''"), " ".join(quoted)]])
	var info: Dictionary = OS.call("execute_with_pipe", program, args, false)
	if info.is_empty():
		stopped.emit("could not start %s" % " ".join(command))
		return ERR_CANT_CREATE
	pid = info["pid"]
	_stdio = info["stdio"]
	_stderr = info["stderr"]
	_append("$ %s\n" % " ".join(command))
	return OK


## Stops the process this launcher started.
func stop() -> void:
	if pid != 0 and OS.is_process_running(pid):
		OS.kill(pid)
	_finish("stopped")


func _process(_delta: float) -> void:
	if pid == 0:
		return
	_drain(_stdio)
	_drain(_stderr)
	if not OS.is_process_running(pid):
		_finish("the sidecar exited (code %d)" % OS.get_process_exit_code(pid))


func _exit_tree() -> void:
	# A sidecar started for this session belongs to it.
	stop()


func _drain(pipe: FileAccess) -> void:
	if pipe == null:
		return
	var bytes := pipe.get_buffer(65536)
	if not bytes.is_empty():
		_append(bytes.get_string_from_utf8())


func _append(text: String) -> void:
	log_text += text
	log_received.emit(text)
	if token != "":
		return
	var found := RegEx.create_from_string("admin token[^\\n]*\\n\\s+(ens_\\S+)").search(log_text)
	if found != null:
		token = found.get_string(1)
		token_found.emit(token)


func _finish(message: String) -> void:
	if pid == 0:
		return
	pid = 0
	_stdio = null
	_stderr = null
	_append("[%s]\n" % message)
	stopped.emit(message)
