@tool
class_name EnsoulConnection
extends Node
## The transport under [EnsoulClient]: one WebSocket to the sidecar carrying protobuf
## Envelopes, Hello, replies matched to requests by id, deadlines and reconnects with backoff.
## It polls its socket in [method Node._process] and never blocks a frame. Use [EnsoulClient],
## which adds a typed call for each method the sidecar serves.

## The sidecar accepted Hello; [param welcome] holds the session and the granted roles. Emitted
## again after every reconnect.
signal connected(welcome: EnsoulV1.Welcome)
## The open connection was lost or closed (a reconnect follows when [member auto_reconnect] is
## on, unless [method close] closed it). Attempts that never opened report through
## [signal error_received] instead.
signal disconnected(code: int, reason: String)
## A request failed, or the connection was refused: for status displays and logs. Requests
## cancelled by the caller are not reported here.
signal error_received(result: EnsoulResult)

## The protocol version this client speaks.
const PROTOCOL_VERSION := 1
## The largest frame this client accepts; announced to the server in Hello.
const MAX_FRAME_BYTES := 8 * 1024 * 1024
## Reconnect delays: the first, and the most the doubling may reach.
const RECONNECT_FIRST_S := 0.5
const RECONNECT_MAX_S := 10.0

enum State { DISCONNECTED, CONNECTING, SAYING_HELLO, OPEN }

## WebSocket URL of the sidecar.
@export var url: String = EnsoulSettings.DEFAULT_URL
## Bearer token sent in Hello.
@export var token: String = ""
## Who is calling, for the sidecar's logs.
@export var client_name: String = "godot/%s" % Engine.get_version_info().string
## Seconds a unary request may wait for its reply, and a generation for its next frame.
@export var request_timeout_s: float = 30.0
## Seconds to wait for the socket to open and Hello to be answered.
@export var connect_timeout_s: float = 10.0
## Reconnect after a lost connection, backing off from 0.5 s up to 10 s (with some jitter, so
## many clients do not come back at the same instant). A refused Hello is not retried.
@export var auto_reconnect: bool = true

## Where the connection stands.
var state: State = State.DISCONNECTED
## The server's Welcome once [constant State.OPEN].
var welcome: EnsoulV1.Welcome = null

var _socket: WebSocketPeer = null
var _next_id: int = 1
var _pending: Dictionary = {}  # envelope id → EnsoulRequest
var _hello: EnsoulRequest = null
var _connect_deadline_ms: int = 0
var _backoff_s: float = RECONNECT_FIRST_S
var _reconnect_at_ms: int = 0
var _closing_on_purpose: bool = false


## Opens the connection and says Hello. Await it: the result holds the Welcome or the error
## (UNAVAILABLE when nothing answers, UNAUTHENTICATED for a refused token).
func open() -> EnsoulResult:
	if state == State.OPEN:
		return EnsoulResult.success(_welcome_envelope())
	var hello := _hello if state != State.DISCONNECTED and _hello != null else _start_connecting()
	return await hello.wait()


## True once Hello was answered and requests can be sent.
func is_open() -> bool:
	return state == State.OPEN


## Closes the connection; pending requests finish with CANCELLED and no reconnect follows. Web
## exports accept only [param code] 1000 or 3000-4999.
func close(code: int = 1000, reason: String = "") -> void:
	_closing_on_purpose = true
	_reconnect_at_ms = 0
	if _socket:
		_socket.close(code, reason)
	_lose_connection(EnsoulV1.ErrorCode.CANCELLED, "the client closed the connection", code, reason)


## Sends a request whose reply is one message. [param body] is the Envelope field that carries
## it (e.g. &"ping"), [param message] the message. Await the returned result.
func call_method(body: StringName, message: Object, timeout_s: float = -1.0) -> EnsoulResult:
	return await send_request(body, message, false, timeout_s).wait()


## Sends a request and returns its [EnsoulRequest] at once, for streams (connect to its
## [signal EnsoulRequest.frame_received]) or for several requests in flight. A stream has no
## deadline unless [param timeout_s] is given: then its frames may be at most that far apart.
func send_request(body: StringName, message: Object, streaming: bool = false, timeout_s: float = -1.0) -> EnsoulRequest:
	var request := EnsoulRequest.new()
	request.body = body
	request.streaming = streaming
	var seconds := request_timeout_s if timeout_s < 0.0 and not streaming else maxf(timeout_s, 0.0)
	return send(request, message, seconds)


## Sends [param message] as [param request] (an [EnsoulRequest] or a typed subclass whose
## [member EnsoulRequest.body] and [member EnsoulRequest.streaming] are set) and returns it at
## once. It fails with UNAVAILABLE when the connection is not open.
func send(request: EnsoulRequest, message: Object, timeout_s: float = 0.0) -> EnsoulRequest:
	request.id = _next_id
	_next_id += 1
	request._client = weakref(self)
	request.timeout_s = timeout_s
	request._touch()
	if state != State.OPEN:
		request._finish(EnsoulResult.failure(EnsoulV1.ErrorCode.UNAVAILABLE, "not connected to the sidecar at %s (call open() first)" % url))
		return request
	var envelope := EnsoulV1.Envelope.new()
	envelope.id = request.id
	envelope.set(request.body, message)
	if envelope.body != request.body:
		request._finish(EnsoulResult.failure(EnsoulV1.ErrorCode.INVALID_ARGUMENT, "%s is not a request of the protocol" % request.body, String(request.body)))
		return request
	_pending[request.id] = request
	var sent := _socket.send(envelope.encode(), WebSocketPeer.WRITE_MODE_BINARY)
	if sent != OK:
		_finish(request, EnsoulResult.failure(EnsoulV1.ErrorCode.UNAVAILABLE, "could not send (%s)" % error_string(sent)))
	return request


func _process(_delta: float) -> void:
	if _socket == null:
		if auto_reconnect and _reconnect_at_ms > 0 and Time.get_ticks_msec() >= _reconnect_at_ms:
			_start_connecting()
		return
	_socket.poll()
	var ready_state := _socket.get_ready_state()
	if ready_state == WebSocketPeer.STATE_OPEN and state == State.CONNECTING:
		_say_hello()
	# Frames that arrived before a close (e.g. the Error that explains it) are read first.
	while _socket != null and _socket.get_available_packet_count() > 0:
		var packet := _socket.get_packet()
		if not _socket.was_string_packet():
			_receive(packet)
	if _socket == null:
		return
	if ready_state == WebSocketPeer.STATE_CLOSED:
		var code := _socket.get_close_code()
		var reason := _socket.get_close_reason()
		var why := "connection closed (%d %s)" % [code, reason] if code != -1 else "no sidecar answers at %s" % url
		_lose_connection(EnsoulV1.ErrorCode.UNAVAILABLE, why, code, reason)
		return
	_check_deadlines()


func _exit_tree() -> void:
	if _socket:
		# Browsers (web exports) accept only 1000 or 3000-4999 as a close code.
		close(1000, "client left the tree")


## Starts a connection; returns the pending Hello request (already failed if it cannot start).
func _start_connecting() -> EnsoulRequest:
	_closing_on_purpose = false
	_reconnect_at_ms = 0
	_socket = WebSocketPeer.new()
	# The engine drops frames above its inbound buffer silently (64 KiB by default).
	_socket.inbound_buffer_size = MAX_FRAME_BYTES
	_socket.outbound_buffer_size = MAX_FRAME_BYTES
	_hello = EnsoulRequest.new()
	_hello.body = &"hello"
	_connect_deadline_ms = Time.get_ticks_msec() + int(connect_timeout_s * 1000.0)
	state = State.CONNECTING
	var err := _socket.connect_to_url(url)
	if err != OK:
		var hello := _hello
		_lose_connection(EnsoulV1.ErrorCode.UNAVAILABLE, "cannot connect to %s (%s)" % [url, error_string(err)], -1, "")
		return hello
	return _hello


func _say_hello() -> void:
	state = State.SAYING_HELLO
	var hello := EnsoulV1.Hello.new()
	hello.protocol_version = PROTOCOL_VERSION
	hello.token = token
	hello.client_name = client_name
	hello.max_frame_bytes = MAX_FRAME_BYTES
	var envelope := EnsoulV1.Envelope.new()
	_hello.id = _next_id
	_next_id += 1
	envelope.id = _hello.id
	envelope.hello = hello
	_pending[_hello.id] = _hello
	_socket.send(envelope.encode(), WebSocketPeer.WRITE_MODE_BINARY)


func _receive(packet: PackedByteArray) -> void:
	var envelope := EnsoulV1.Envelope.decode(packet)
	if envelope == null:
		error_received.emit(EnsoulResult.failure(EnsoulV1.ErrorCode.INVALID_ARGUMENT, "undecodable frame from the sidecar: %s" % EnsoulV1.last_decode_error()))
		return
	var request: EnsoulRequest = _pending.get(envelope.reply_to)
	if request == null:
		if envelope.body == &"error":
			# An error about no request of ours (e.g. the connection is being refused).
			error_received.emit(_error_result(envelope))
		return
	if envelope.body == &"error" and request == _hello:
		# Refused at the door: retrying with the same token would be refused again. The state is
		# settled before the result goes out, since emitting resumes the awaiting code at once.
		_pending.erase(request.id)
		_hello = null
		_closing_on_purpose = true
		_socket.close(1000, "hello refused")
		_lose_connection(EnsoulV1.ErrorCode.UNAVAILABLE, "the sidecar refused Hello", 1000, "hello refused")
		_finish(request, _error_result(envelope))
	elif envelope.body == &"error":
		_finish(request, _error_result(envelope))
	elif request == _hello:
		welcome = envelope.welcome
		state = State.OPEN
		_backoff_s = RECONNECT_FIRST_S
		# Listeners of connected (e.g. agents resuming) go before the code awaiting open().
		connected.emit(welcome)
		_finish(request, EnsoulResult.success(envelope))
	elif request.streaming and envelope.body != &"end_of_stream":
		request._touch()
		request._receive_frame(envelope)
	else:
		_finish(request, EnsoulResult.success(envelope))


## Tells the sidecar to stop [param request] (a Cancel frame; it has no reply). Only a request
## still in flight on the open connection is named: one that ended needs nothing.
func _send_cancel(request: EnsoulRequest) -> void:
	if state != State.OPEN or request == _hello or _pending.get(request.id) != request:
		return
	var envelope := EnsoulV1.Envelope.new()
	envelope.cancel = EnsoulV1.Cancel.new()
	envelope.cancel.request_id = request.id
	_socket.send(envelope.encode(), WebSocketPeer.WRITE_MODE_BINARY)


func _error_result(envelope: EnsoulV1.Envelope) -> EnsoulResult:
	var e := envelope.error
	return EnsoulResult.failure(e.code, e.message, e.field)


func _finish(request: EnsoulRequest, result: EnsoulResult) -> void:
	_pending.erase(request.id)
	if request == _hello:
		_hello = null
	if not result.ok and result.error_code != EnsoulV1.ErrorCode.CANCELLED:
		error_received.emit(result)
	request._finish(result)


func _check_deadlines() -> void:
	var now := Time.get_ticks_msec()
	if state != State.OPEN and now > _connect_deadline_ms and _hello != null:
		_socket.close(1000, "timed out")
		_lose_connection(EnsoulV1.ErrorCode.DEADLINE_EXCEEDED, "the sidecar at %s did not answer within %.1f s" % [url, connect_timeout_s], -1, "timed out")
		return
	for request: EnsoulRequest in _pending.values():
		if request.deadline_ms > 0 and now > request.deadline_ms:
			var waited := "its next frame" if request.streaming else "an answer"
			_finish(request, EnsoulResult.failure(EnsoulV1.ErrorCode.DEADLINE_EXCEEDED, "%s got no %s within %.1f s" % [request.body, waited, request.timeout_s]))


## Forgets the socket, settles the state, then fails every pending request (and a pending
## Hello) with [param code]: the state comes first because a finished request resumes its
## awaiting caller at once.
func _lose_connection(code: int, text: String, close_code: int, reason: String) -> void:
	var requests := _pending.values()
	if _hello != null and not requests.has(_hello):
		requests.append(_hello)
	_pending.clear()
	_socket = null
	_set_disconnected(close_code, reason)
	for request: EnsoulRequest in requests:
		_finish(request, EnsoulResult.failure(code, text))


func _set_disconnected(code: int, reason: String) -> void:
	var was := state
	state = State.DISCONNECTED
	welcome = null
	if auto_reconnect and not _closing_on_purpose:
		var jitter := randf_range(0.8, 1.2)
		_reconnect_at_ms = Time.get_ticks_msec() + int(_backoff_s * jitter * 1000.0)
		_backoff_s = minf(_backoff_s * 2.0, RECONNECT_MAX_S)
	if was == State.OPEN:
		disconnected.emit(code, reason)


func _welcome_envelope() -> EnsoulV1.Envelope:
	var envelope := EnsoulV1.Envelope.new()
	envelope.welcome = welcome
	return envelope
