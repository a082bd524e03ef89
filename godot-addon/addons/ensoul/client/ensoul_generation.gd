@tool
class_name EnsoulGeneration
extends EnsoulRequest
## One character generation streaming in from the sidecar, as [method EnsoulClient.generate]
## returns it. Its signals belong to this generation alone, so several can run at once.
##
## [codeblock]
## var generation := client.generate("a grumpy dwarf blacksmith", 42)
## generation.delta.connect(func(text: String) -> void: log_label.text += text)
## generation.field_completed.connect(func(name: String, value: Variant) -> void: form.fill(name, value))
## var result := await generation.wait()
## if result.ok:
##     show_character(generation.character)
## else:
##     show_error(result.message)
## [/codeblock]
## Exactly one of [signal done] and [signal failed] is emitted, then [signal EnsoulRequest.finished].

## The next piece of the character's JSON text.
signal delta(text: String)
## A top-level field of the character has just been completed; [param value] is parsed JSON.
signal field_completed(name: String, value: Variant)
## The validated character arrived (see [member character] and [member reply]).
signal done(character: Dictionary)
## The generation failed or was cancelled; [param error] holds the protocol's code and message.
signal failed(error: EnsoulResult)

## The JSON text received so far.
var text: String = ""
## The completed top-level fields so far: name → parsed value.
var fields: Dictionary = {}
## The validated character once [signal done] was emitted.
var character: Dictionary = {}
## The sidecar's GenerateDone (generator, tokens, elapsed time) once [signal done] was emitted.
var reply: EnsoulV1.GenerateDone = null


func _init() -> void:
	body = &"generate_request"
	streaming = true


func _receive_frame(envelope: EnsoulV1.Envelope) -> void:
	match envelope.body:
		&"generate_delta":
			var piece := envelope.generate_delta
			if not piece.text.is_empty():
				text += piece.text
				delta.emit(piece.text)
			if not piece.field.is_empty():
				var value: Variant = JSON.parse_string(piece.field_json)
				fields[piece.field] = value
				field_completed.emit(piece.field, value)
		&"generate_done":
			var parsed: Variant = JSON.parse_string(envelope.generate_done.character_json)
			if parsed is Dictionary:
				reply = envelope.generate_done
				character = parsed
				done.emit(character)
			else:
				_end(EnsoulResult.failure(EnsoulV1.ErrorCode.INTERNAL, "the sidecar's character is not a JSON object"))
	frame_received.emit(envelope)


func _finish(outcome: EnsoulResult) -> void:
	if result != null:
		return
	if outcome.ok and reply == null:
		outcome = EnsoulResult.failure(EnsoulV1.ErrorCode.INTERNAL, "the generation ended without a character")
	if not outcome.ok:
		failed.emit(outcome)
	super._finish(outcome)

