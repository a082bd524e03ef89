@icon("res://addons/ensoul/runtime/ensoul_domain.svg")
class_name EnsoulDomain
extends Resource
## A planner domain for [EnsoulAgent] and [method EnsoulClient.plan]: a JSON document in the
## form of [code]shared-schema/json/domain.schema.json[/code] (actions, task methods, goals),
## kept in the resource ([member json]) or in a [code].json[/code] file of the project
## ([member source_path]), or a domain already registered on the sidecar ([member domain_id]).
## [codeblock]
## var domain := EnsoulDomain.new()
## domain.source_path = "res://ai/village.domain.json"
## $Villager/EnsoulAgent.domain = domain
## [/codeblock]

## The domain document as JSON text. Wins over [member source_path] when both are set.
@export_multiline var json: String = ""
## A [code].json[/code] file holding the domain document, read when [member json] is empty.
@export_file("*.json") var source_path: String = ""
## The id of a domain registered on the sidecar (with [method EnsoulClient.put_domain]), used
## when there is no document here.
@export var domain_id: String = ""


## A domain holding [param document].
static func from_document(document: Dictionary) -> EnsoulDomain:
	var domain := EnsoulDomain.new()
	domain.json = JSON.stringify(document)
	return domain


## The document's JSON text: [member json], else the file at [member source_path], else "".
func json_text() -> String:
	if not json.strip_edges().is_empty():
		return json
	if source_path.is_empty():
		return ""
	return FileAccess.get_file_as_string(source_path)


## The domain document, or an empty dictionary when there is none or it is not a JSON object
## ([method check] says why).
func document() -> Dictionary:
	var parsed: Variant = JSON.parse_string(json_text())
	return parsed if parsed is Dictionary else {}


## What is wrong with this resource as a domain, in words, or "" when it looks usable. The
## sidecar checks the document fully; this catches what can be seen without it.
func check() -> String:
	var text := json_text()
	if text.is_empty():
		if not source_path.is_empty():
			return "cannot read %s (%s)" % [source_path, error_string(FileAccess.get_open_error())]
		return "" if not domain_id.is_empty() else "the domain has no json, source_path or domain_id"
	var parser := JSON.new()
	if parser.parse(text) != OK:
		return "the domain is not valid JSON: %s at line %d" % [parser.get_error_message(), parser.get_error_line()]
	if not parser.data is Dictionary:
		return "the domain must be a JSON object"
	if not (parser.data as Dictionary).has("name"):
		return "the domain has no name"
	return ""
