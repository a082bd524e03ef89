class_name EnsoulClient
extends Node
## Talks to the Ensoul sidecar: protobuf Envelopes over one WebSocket. Add it to the scene tree
## (or as an autoload); it polls its socket in [method Node._process] and never blocks a frame.
##
## [codeblock]
## var client := EnsoulClient.new()
## client.url = "ws://127.0.0.1:7317/v1/ws"
## client.token = "ens_…"
## add_child(client)
## var opened := await client.open()
## if not opened.ok:
##     push_error(opened.message)
## var pong := await client.ping()
## [/codeblock]
## Every call returns an [EnsoulResult]: the reply, or the protocol's error code and message.

## The sidecar accepted Hello; [param welcome] holds the session and the granted roles.
signal connected(welcome: EnsoulV1.Welcome)
## The connection closed (a reconnect follows when [member auto_reconnect] is on).
signal disconnected(code: int, reason: String)
## A request failed, or the connection was refused: for status displays and logs.
signal error_received(result: EnsoulResult)

## The protocol version this client speaks.
const PROTOCOL_VERSION := 1
## The largest frame this client accepts; announced to the server in Hello.
const MAX_FRAME_BYTES := 8 * 1024 * 1024

enum State { DISCONNECTED, CONNECTING, SAYING_HELLO, OPEN }

## WebSocket URL of the sidecar.
@export var url: String = "ws://127.0.0.1:7317/v1/ws"
## Bearer token sent in Hello.
@export var token: String = ""
## Who is calling, for the sidecar's logs.
@export var client_name: String = "godot/%s" % Engine.get_version_info().string
## Seconds a unary request may wait for its reply.
@export var request_timeout_s: float = 30.0
## Seconds to wait for the socket to open and Hello to be answered.
@export var connect_timeout_s: float = 10.0
## Reconnect after a lost connection, backing off from 0.5 s up to 10 s.
@export var auto_reconnect: bool = false

## Where the connection stands.
var state: State = State.DISCONNECTED
## The server's Welcome once [constant State.OPEN].
var welcome: EnsoulV1.Welcome = null

var _socket: WebSocketPeer = null
var _next_id: int = 1
var _pending: Dictionary = {}  # envelope id → EnsoulRequest
var _hello: EnsoulRequest = null
var _connect_deadline_ms: int = 0
var _backoff_s: float = 0.5
var _reconnect_at_ms: int = 0
var _closing_on_purpose: bool = false


## Opens the connection and says Hello. Await it: the result holds the Welcome or the error
## (UNAVAILABLE when nothing answers, UNAUTHENTICATED for a refused token).
func open() -> EnsoulResult:
	if state == State.OPEN:
		return EnsoulResult.success(_welcome_envelope())
	var hello := _hello if state != State.DISCONNECTED and _hello != null else _start_connecting()
	return await _result_of(hello)


## Closes the connection; pending requests finish with CANCELLED. Web exports accept only
## [param code] 1000 or 3000-4999.
func close(code: int = 1000, reason: String = "") -> void:
	_closing_on_purpose = true
	if _socket:
		_socket.close(code, reason)
	_lose_connection(8, "the client closed the connection", code, reason)


## Sends a request whose reply is one message. [param body] is the Envelope field that carries
## it (e.g. &"ping"), [param message] the message. Await the returned result.
func call_method(body: StringName, message: Object, timeout_s: float = -1.0) -> EnsoulResult:
	var request := send_request(body, message, false, timeout_s)
	return await _result_of(request)


## Sends a request and returns its [EnsoulRequest] at once, for streams (connect to its
## [signal EnsoulRequest.frame_received]) or for several requests in flight.
func send_request(body: StringName, message: Object, streaming: bool = false, timeout_s: float = -1.0) -> EnsoulRequest:
	var request := EnsoulRequest.new()
	request.id = _next_id
	_next_id += 1
	request.body = body
	request.streaming = streaming
	request._client = weakref(self)
	var seconds := request_timeout_s if timeout_s < 0.0 else timeout_s
	if seconds > 0.0 and not streaming:
		request.deadline_ms = Time.get_ticks_msec() + int(seconds * 1000.0)
	if state != State.OPEN:
		request.result = EnsoulResult.failure(11, "not connected to the sidecar (call open() first)")
		return request
	var envelope := EnsoulV1.Envelope.new()
	envelope.id = request.id
	envelope.set(body, message)
	if envelope.body != body:
		request.result = EnsoulResult.failure(1, "%s is not a request of the protocol" % body, String(body))
		return request
	var bytes := envelope.encode()
	_pending[request.id] = request
	var sent := _socket.send(bytes, WebSocketPeer.WRITE_MODE_BINARY)
	if sent != OK:
		_finish(request, EnsoulResult.failure(11, "could not send (%s)" % error_string(sent)))
	return request


## Round trip to the sidecar. The result's envelope carries the Pong.
func ping(payload: PackedByteArray = PackedByteArray()) -> EnsoulResult:
	var message := EnsoulV1.Ping.new()
	message.payload = payload
	message.sent_at_us = Time.get_ticks_usec()
	return await call_method(&"ping", message)


## The sidecar's services and methods. The result's envelope carries the ServerInfo.
func server_info() -> EnsoulResult:
	return await call_method(&"server_info_request", EnsoulV1.ServerInfoRequest.new())


func _process(_delta: float) -> void:
	if _socket == null:
		if auto_reconnect and _reconnect_at_ms > 0 and Time.get_ticks_msec() >= _reconnect_at_ms:
			_reconnect_at_ms = 0
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
		_lose_connection(11, why, code, reason)
		return
	_check_deadlines()


func _exit_tree() -> void:
	if _socket:
		# Browsers (web exports) accept only 1000 or 3000-4999 as a close code.
		close(1000, "client left the tree")


## Starts a connection; returns the pending Hello request (already failed if it cannot start).
func _start_connecting() -> EnsoulRequest:
	_closing_on_purpose = false
	_socket = WebSocketPeer.new()
	# The engine drops frames above its inbound buffer silently (64 KiB by default).
	_socket.inbound_buffer_size = MAX_FRAME_BYTES
	_socket.outbound_buffer_size = MAX_FRAME_BYTES
	_hello = EnsoulRequest.new()
	_hello.body = &"hello"
	_connect_deadline_ms = Time.get_ticks_msec() + int(connect_timeout_s * 1000.0)
	var err := _socket.connect_to_url(url)
	if err != OK:
		var hello := _hello
		_socket = null
		_hello = null
		hello._finish(EnsoulResult.failure(11, "cannot connect to %s (%s)" % [url, error_string(err)]))
		return hello
	state = State.CONNECTING
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
		error_received.emit(EnsoulResult.failure(1, "undecodable frame from the sidecar: %s" % EnsoulV1.last_decode_error()))
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
		_lose_connection(11, "the sidecar refused Hello", 1000, "hello refused")
		_finish(request, _error_result(envelope))
	elif envelope.body == &"error":
		_finish(request, _error_result(envelope))
	elif request == _hello:
		welcome = envelope.welcome
		state = State.OPEN
		_backoff_s = 0.5
		_finish(request, EnsoulResult.success(envelope))
		connected.emit(welcome)
	elif request.streaming and envelope.body != &"end_of_stream":
		request.frame_received.emit(envelope)
	else:
		_finish(request, EnsoulResult.success(envelope))


func _error_result(envelope: EnsoulV1.Envelope) -> EnsoulResult:
	var e := envelope.error
	return EnsoulResult.failure(e.code, e.message, e.field)


func _finish(request: EnsoulRequest, result: EnsoulResult) -> void:
	_pending.erase(request.id)
	if request == _hello:
		_hello = null
	if not result.ok:
		error_received.emit(result)
	request._finish(result)


func _check_deadlines() -> void:
	var now := Time.get_ticks_msec()
	if state != State.OPEN and now > _connect_deadline_ms and _hello != null:
		_socket.close(1000, "timed out")
		_lose_connection(9, "the sidecar at %s did not answer within %.1f s" % [url, connect_timeout_s], -1, "timed out")
		return
	for request: EnsoulRequest in _pending.values():
		if request.deadline_ms > 0 and now > request.deadline_ms:
			_finish(request, EnsoulResult.failure(9, "%s got no answer within %.1f s" % [request.body, request_timeout_s]))


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
	if was != State.DISCONNECTED:
		disconnected.emit(code, reason)
	if auto_reconnect and not _closing_on_purpose:
		_reconnect_at_ms = Time.get_ticks_msec() + int(_backoff_s * 1000.0)
		_backoff_s = minf(_backoff_s * 2.0, 10.0)


func _welcome_envelope() -> EnsoulV1.Envelope:
	var envelope := EnsoulV1.Envelope.new()
	envelope.welcome = welcome
	return envelope


## Awaits a request's end (or returns at once when it is already over).
func _result_of(request: EnsoulRequest) -> EnsoulResult:
	if request.result != null:
		return request.result
	return await request.finished
