@tool
class_name EnsoulCharacterHistory
extends RefCounted
## The characters generated with the dock, newest first, kept in a JSON file so they outlive the
## session: each entry is [code]{"prompt", "seed", "generator", "json", "at"}[/code].

## Where the entries are kept.
var path: String = "user://ensoul/characters_history.json"
## The most entries kept.
var limit: int = 50
## The entries, newest first.
var entries: Array[Dictionary] = []


## Reads the entries from [member path]; a missing or damaged file gives none.
func load_entries() -> void:
	entries.clear()
	if not FileAccess.file_exists(path):
		return
	var loaded: Variant = JSON.parse_string(FileAccess.get_file_as_string(path))
	if loaded is Array:
		for entry: Variant in loaded:
			if entry is Dictionary and entry.has_all(["prompt", "seed", "generator", "json"]):
				entries.append(entry)


## Puts [param character] first and saves the file. The same request gives the same character
## again, so an identical character keeps one entry, moved to the top.
func remember(character: EnsoulCharacter) -> Error:
	var json := character.to_json()
	entries.assign(entries.filter(func(entry: Dictionary) -> bool: return entry["json"] != json))
	entries.push_front({
		"prompt": character.prompt, "seed": character.seed, "generator": character.generator,
		"json": json, "at": Time.get_datetime_string_from_system(),
	})
	entries.resize(mini(entries.size(), limit))
	DirAccess.make_dir_recursive_absolute(path.get_base_dir())
	return EnsoulCharacterFiles.write_atomically(path, JSON.stringify(entries, "\t").to_utf8_buffer())


## The character of entry [param index], with its prompt, seed and generator; null when the
## entry is damaged.
func character_at(index: int) -> EnsoulCharacter:
	var entry := entries[index]
	var character := EnsoulCharacter.from_json(entry["json"])
	if character != null:
		character.prompt = entry["prompt"]
		character.seed = int(entry["seed"])
		character.generator = entry["generator"]
	return character


## The list title of entry [param index]: the character's name.
func title_of(index: int) -> String:
	var parsed: Variant = JSON.parse_string(entries[index]["json"])
	return str(parsed.get("name", "?")) if parsed is Dictionary else "?"


## The tooltip of entry [param index]: its prompt, seed and generator.
func describe(index: int) -> String:
	var entry := entries[index]
	return "%s\nseed %d · %s" % [entry["prompt"], int(entry["seed"]), entry["generator"]]
