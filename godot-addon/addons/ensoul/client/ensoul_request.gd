@tool
class_name EnsoulRequest
extends RefCounted
## One request in flight to the sidecar. Unary calls are usually awaited through
## [EnsoulClient]'s methods; streaming calls hand this object (or a typed subclass such as
## [EnsoulGeneration] or [EnsoulAgentSession]) out, so that each request has its own signals and
## many can run at once without mixing their frames.

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
## Seconds the request may wait for its reply (or, for a stream, for its next frame); 0: forever.
var timeout_s: float = 0.0
## The result once [signal finished] was emitted.
var result: EnsoulResult = null

var _client: WeakRef = null


## True once the request has finished.
func is_done() -> bool:
	return result != null


## Awaits the end of the request and returns its result (at once when it is already over).
## [codeblock]
## var result := await request.wait()
## [/codeblock]
func wait() -> EnsoulResult:
	if result != null:
		return result
	return await finished


## Stops this request: it finishes with CANCELLED at once, and the sidecar is told (without
## waiting) to stop its work on it. Frames the sidecar still sends for it are dropped.
func cancel() -> void:
	if result != null:
		return
	var connection: Node = client()
	if connection:
		connection._send_cancel(self)
	_end(EnsoulResult.failure(EnsoulV1.ErrorCode.CANCELLED, "cancelled by the caller"))


## The client this request was sent through, or null once it is gone.
func client() -> Node:
	return _client.get_ref() if _client else null


## Called by the client for each stream frame but the last; typed requests override it.
func _receive_frame(envelope: EnsoulV1.Envelope) -> void:
	frame_received.emit(envelope)


## Moves the deadline on: a stream times out only when its frames stop coming.
func _touch() -> void:
	if timeout_s > 0.0:
		deadline_ms = Time.get_ticks_msec() + int(timeout_s * 1000.0)


## Ends the request with [param outcome] through its client (which then forgets it and drops
## its later frames), or alone when the client is gone.
func _end(outcome: EnsoulResult) -> void:
	var connection: Node = client()
	if connection:
		connection._finish(self, outcome)
	else:
		_finish(outcome)


func _finish(outcome: EnsoulResult) -> void:
	if result != null:
		return
	result = outcome
	finished.emit(outcome)
