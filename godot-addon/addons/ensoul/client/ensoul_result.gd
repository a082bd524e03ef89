@tool
class_name EnsoulResult
extends RefCounted
## The outcome of one request to the sidecar: either [member ok] with the reply [member envelope],
## or an error with the protocol's code and a message a person understands. Never a silent null.

## Error codes of the protocol by value (ensoul.v1.ErrorCode), for [member error_name].
const CODE_NAMES := {
	0: "ERROR_CODE_UNSPECIFIED", 1: "INVALID_ARGUMENT", 2: "UNAUTHENTICATED", 3: "PERMISSION_DENIED",
	4: "NOT_FOUND", 5: "ALREADY_EXISTS", 6: "FAILED_PRECONDITION", 7: "RESOURCE_EXHAUSTED",
	8: "CANCELLED", 9: "DEADLINE_EXCEEDED", 10: "UNIMPLEMENTED", 11: "UNAVAILABLE", 12: "INTERNAL",
}

## True when the request succeeded.
var ok: bool = false
## The reply (or the stream's last frame) when [member ok].
var envelope: EnsoulV1.Envelope = null
## The protocol error code (an [enum EnsoulV1.ErrorCode] value) when not [member ok].
var error_code: int = 0
## The error's message.
var message: String = ""
## The request field the error is about, or "".
var field: String = ""


## A successful result carrying [param reply].
static func success(reply: EnsoulV1.Envelope) -> EnsoulResult:
	var result := EnsoulResult.new()
	result.ok = true
	result.envelope = reply
	return result


## A failed result with a protocol error [param code] ([enum EnsoulV1.ErrorCode]).
static func failure(code: int, text: String, about: String = "") -> EnsoulResult:
	var result := EnsoulResult.new()
	result.error_code = code
	result.message = text
	result.field = about
	return result


## The error code's name, e.g. "UNAUTHENTICATED" ("" when [member ok]).
func error_name() -> String:
	return "" if ok else CODE_NAMES.get(error_code, "CODE_%d" % error_code)


func _to_string() -> String:
	if ok:
		return "EnsoulResult(ok, %s)" % (envelope.body if envelope else &"")
	return "EnsoulResult(%s: %s)" % [error_name(), message]
