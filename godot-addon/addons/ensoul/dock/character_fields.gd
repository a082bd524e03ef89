@tool
class_name EnsoulCharacterFields
extends Tree
## The Characters dock's field view: one row per top-level field of a character, "…" until the
## field arrives, then its value, with child rows for list entries (skills, goals, lines…).
## Rows fill one at a time as a generation streams in.

## The colour of a field's name while its value has not arrived.
const PENDING_COLOR := Color(0.85, 0.7, 0.3)

var _items: Dictionary = {}  # field name → TreeItem


## Empties every row back to "…".
func clear_fields() -> void:
	clear()
	_items.clear()
	columns = 2
	hide_root = true
	set_column_expand(0, false)
	set_column_custom_minimum_width(0, 110)
	var root := create_item()
	for field in EnsoulCharacter.FIELDS:
		if field == "schemaVersion":
			continue
		var item := create_item(root)
		item.set_text(0, field.capitalize())
		item.set_text(1, "…")
		item.set_custom_color(0, PENDING_COLOR)
		item.collapsed = true
		_items[field] = item


## Shows [param field] of [param character] in its row.
func show_field(character: EnsoulCharacter, field: String) -> void:
	var item: TreeItem = _items.get(field)
	if item == null:
		return
	var rows := describe_field(character, field)
	for child in item.get_children():
		child.free()
	item.set_text(1, rows[0] if not rows.is_empty() else "")
	item.set_tooltip_text(1, "\n".join(rows))
	item.clear_custom_color(0)
	for row in rows.slice(1):
		create_item(item).set_text(1, row)


## Shows every field of [param character] (or empty rows for null).
func show_character(character: EnsoulCharacter) -> void:
	clear_fields()
	if character == null:
		return
	for field in EnsoulCharacter.FIELDS:
		show_field(character, field)


## The text the row of [param field] shows now ("…" while it has not arrived, "" for no row).
func shown(field: String) -> String:
	var item: TreeItem = _items.get(field)
	return item.get_text(1) if item != null else ""


## The text a field's row shows: the value column, then child rows for list entries.
static func describe_field(source: EnsoulCharacter, field: String) -> PackedStringArray:
	match field:
		"schemaVersion": return [str(source.schema_version)]
		"name": return [source.name]
		"pronouns": return [source.pronouns]
		"species": return [source.species]
		"role": return [source.role]
		"level": return [str(source.level)]
		"age": return [str(source.age)]
		"attributes":
			var scores: Array[String] = []
			for attribute in EnsoulCharacter.ATTRIBUTES:
				scores.append("%s %d" % [attribute.substr(0, 3).to_upper(), source.get(attribute)])
			return [" ".join(scores)]
		"skills":
			var rows := PackedStringArray([_count(source.skills.size(), "skill")])
			for skill in source.skills:
				rows.append("%s (rank %d): %s" % [skill.get("name"), skill.get("rank", 0), skill.get("description")])
			return rows
		"abilities":
			var rows := PackedStringArray([_count(source.abilities.size(), "ability")])
			for ability in source.abilities:
				rows.append("%s: %s" % [ability.get("name"), ability.get("description")])
			return rows
		"personality":
			return [", ".join(source.traits), "Ideals: " + "; ".join(source.ideals), "Bonds: " + "; ".join(source.bonds), "Flaws: " + "; ".join(source.flaws)]
		"backstory":
			var rows := PackedStringArray([source.backstory[0] if not source.backstory.is_empty() else ""])
			rows.append_array(source.backstory.slice(1))
			return rows
		"goals":
			var rows := PackedStringArray([_count(source.goals.size(), "goal")])
			for goal in source.goals:
				rows.append("[%d] %s" % [goal.get("priority", 0), goal.get("description")])
			return rows
		"dialogue":
			var rows := PackedStringArray(["\"%s\"" % source.greeting, "Farewell: \"%s\"" % source.farewell])
			for line in source.voice_lines:
				rows.append("\"%s\"" % line)
			return rows
		"behaviour":
			var rows := PackedStringArray([_count(source.routine.size(), "routine step") + ", " + _count(source.reactions.size(), "reaction")])
			for step in source.routine:
				rows.append("%s %s" % [step.get("time"), step.get("description")])
			for reaction in source.reactions:
				rows.append("on %s: %s" % [reaction.get("trigger"), reaction.get("description")])
			return rows
		"appearance":
			var colors := [EnsoulCharacter._hex(source.skin_color), EnsoulCharacter._hex(source.hair_color), EnsoulCharacter._hex(source.eye_color)]
			return ["%.2f m, %s" % [source.height_m, source.build], "skin %s, hair %s, eyes %s" % colors]
		"equipment":
			var rows := PackedStringArray([_count(source.equipment.size(), "item")])
			for item in source.equipment:
				rows.append("%s (%s)" % [item.get("name"), item.get("slot")])
			return rows
	return []


## "1 skill", "3 skills", "2 abilities".
static func _count(n: int, noun: String) -> String:
	if n == 1:
		return "1 %s" % noun
	return "%d %s" % [n, noun.trim_suffix("y") + "ies" if noun.ends_with("y") else noun + "s"]
