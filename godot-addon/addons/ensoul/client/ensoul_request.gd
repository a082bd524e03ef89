class_name EnsoulRequest
extends RefCounted
## One request in flight to the sidecar. Unary calls are usually awaited through
## [EnsoulClient]'s methods; streaming calls hand this object out so that each request has its
## own signals and many can run at once without mixing their frames.

## A stream frame arrived (not emitted for the final frame).
signal frame_received(envelope: EnsoulV1.Envelope)
## The request ended: a reply, the end of a stream, or an error. Emitted exactly once.
signal finished(result: EnsoulResult)

## The envelope id this request was sent with.
var id: int = 0
## The Envelope body field of the request, e.g. &"ping".
var body: StringName = &""
## True for requests whose reply is a stream of frames.
var streaming: bool = false
## Ticks (ms) after which the client fails the request with DEADLINE_EXCEEDED; 0 for never.
var deadline_ms: int = 0
## The result once [signal finished] was emitted.
var result: EnsoulResult = null

var _client: WeakRef = null


## True once the request has finished.
func is_done() -> bool:
	return result != null


## Stops waiting for this request; it finishes with CANCELLED.
func cancel() -> void:
	var client: Variant = _client.get_ref() if _client else null
	if client:
		client._finish(self, EnsoulResult.failure(8, "cancelled by the caller"))


func _finish(outcome: EnsoulResult) -> void:
	if result != null:
		return
	result = outcome
	finished.emit(outcome)
