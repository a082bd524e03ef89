@tool
class_name EnsoulCharacterFiles
extends RefCounted
## Writes a character to disk as the dock saves it: [code]<folder>/<name>.tres[/code] (an
## [EnsoulCharacter]) with its body [code]<name>.glb[/code] beside it. Every file is written
## under a temporary name and renamed into place, so a failed save never leaves half a file.

static var _last_error: String = ""


## Saves [param character] (and [param glb] when not empty, setting
## [member EnsoulCharacter.body_path]) under [param folder]. Returns the .tres path, or "" when
## it failed ([method last_error] says why).
static func save(character: EnsoulCharacter, glb: PackedByteArray, folder: String) -> String:
	_last_error = ""
	var dir := folder.strip_edges().trim_suffix("/")
	if dir == "":
		return _failed("Choose a folder to save into.")
	var made := DirAccess.make_dir_recursive_absolute(dir)
	if made != OK:
		return _failed("Cannot create %s: %s" % [dir, error_string(made)])
	var base := dir.path_join(file_stem(character.name))
	if not glb.is_empty():
		var glb_err := write_atomically(base + ".glb", glb)
		if glb_err != OK:
			return _failed("Cannot write %s.glb: %s" % [base, error_string(glb_err)])
		character.body_path = base + ".glb"
	var tmp := base + ".tmp.tres"
	var err := ResourceSaver.save(character, tmp)
	if err == OK:
		err = DirAccess.rename_absolute(tmp, base + ".tres")
	if err != OK:
		DirAccess.remove_absolute(tmp)
		return _failed("Cannot save %s.tres: %s" % [base, error_string(err)])
	character.take_over_path(base + ".tres")
	return base + ".tres"


## Why the last [method save] returned "" ("" when it did not).
static func last_error() -> String:
	return _last_error


## A file name from a character's name: lower case letters, digits and underscores.
static func file_stem(text: String) -> String:
	var stem := RegEx.create_from_string("[^a-z0-9]+").sub(text.to_lower(), "_", true).trim_prefix("_").trim_suffix("_")
	return stem if stem != "" else "character"


## Writes [param bytes] to [param path] through a temporary file renamed into place.
static func write_atomically(path: String, bytes: PackedByteArray) -> Error:
	var tmp := path + ".tmp"
	var file := FileAccess.open(tmp, FileAccess.WRITE)
	if file == null:
		return FileAccess.get_open_error()
	file.store_buffer(bytes)
	var err := file.get_error()
	file.close()
	if err == OK:
		err = DirAccess.rename_absolute(tmp, path)
	if err != OK:
		DirAccess.remove_absolute(tmp)
	return err


static func _failed(message: String) -> String:
	_last_error = message
	return ""
