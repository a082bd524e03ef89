extends SidecarTest
## EnsoulClient against the real sidecar the harness started (--url=, --token=).


func test_hello_then_ping_pong() -> void:
	var opened := await client.open()
	if not assert_true(opened.ok, "open: %s" % opened):
		return
	assert_eq(client.state, EnsoulClient.State.OPEN)
	assert_eq(Array(client.welcome.roles), ["admin"], "granted roles")
	var result := await client.ping(PackedByteArray([1, 2, 3]))
	if not assert_true(result.ok, "ping: %s" % result):
		return
	assert_eq(result.envelope.body, &"pong")
	assert_bytes_eq(result.envelope.pong.payload, PackedByteArray([1, 2, 3]))
	assert_true(result.envelope.pong.server_time_us > 0, "server time is set")


func test_many_requests_in_flight_are_matched_by_id() -> void:
	if not assert_true((await client.open()).ok):
		return
	var requests: Array[EnsoulRequest] = []
	for i in 10:
		var ping := EnsoulV1.Ping.new()
		ping.payload = PackedByteArray([i])
		requests.append(client.send_request(&"ping", ping))
	for i in 10:
		var result: EnsoulResult = requests[i].result if requests[i].is_done() else await requests[i].finished
		assert_true(result.ok, "request %d: %s" % [i, result])
		assert_bytes_eq(result.envelope.pong.payload, PackedByteArray([i]), "request %d's own reply" % i)


func test_server_info_lists_the_system_service() -> void:
	if not assert_true((await client.open()).ok):
		return
	var result := await client.server_info()
	if not assert_true(result.ok, str(result)):
		return
	var names: Array[String] = []
	for service in result.envelope.server_info.services:
		names.append(service.name)
	assert_has(names, "system")


func test_a_refused_token_is_an_error_value() -> void:
	client.token = "ens_not_the_token"
	var signalled: Array[EnsoulResult] = []
	client.error_received.connect(func(error: EnsoulResult) -> void: signalled.append(error))
	var opened := await client.open()
	assert_eq(signalled.map(func(e: EnsoulResult) -> String: return e.error_name()), ["UNAUTHENTICATED"], "error_received too")
	assert_false(opened.ok)
	assert_eq(opened.error_name(), "UNAUTHENTICATED")
	assert_eq(opened.field, "token")
	assert_eq(client.state, EnsoulClient.State.DISCONNECTED)
	var result := await client.ping()
	assert_eq(result.error_name(), "UNAVAILABLE", "calls before open() fail with a reason")


func test_no_sidecar_is_unavailable_not_a_hang() -> void:
	client.url = "ws://127.0.0.1:9/v1/ws"
	client.connect_timeout_s = 3.0
	var opened := await client.open()
	assert_false(opened.ok)
	assert_true(opened.error_name() in ["UNAVAILABLE", "DEADLINE_EXCEEDED"], opened.error_name())


func test_a_stream_whose_frames_stop_times_out() -> void:
	if not assert_true((await client.open()).ok):
		return
	var open := EnsoulV1.AgentOpen.new()
	open.agent_id = "gd-quiet"
	open.domain_json = user_arg("domain_json")
	open.todo_json = "[]"
	# The first plan comes at once, then nothing: the stream may be 2 s quiet at most.
	var stream := client.send_request(&"agent_open", open, true, 2.0)
	var frames := [0]
	stream.frame_received.connect(func(_e: EnsoulV1.Envelope) -> void: frames[0] += 1)
	var started := Time.get_ticks_msec()
	var result := await stream.wait()
	assert_eq(result.error_name(), "DEADLINE_EXCEEDED", str(result))
	assert_eq(frames[0], 1, "the first plan came before the deadline (%d ms)" % (Time.get_ticks_msec() - started))
	assert_true(Time.get_ticks_msec() - started < 6000, "it did not wait much longer than the deadline")
	await client.close_agent("gd-quiet")


func test_a_client_without_settings_takes_the_project_settings() -> void:
	var bare := EnsoulClient.new()
	ProjectSettings.set_setting(EnsoulSettings.TOKEN_SETTING, "ens_from_settings")
	add_child(bare)
	assert_eq(bare.token, "ens_from_settings")
	assert_eq(bare.url, EnsoulSettings.DEFAULT_URL)
	ProjectSettings.set_setting(EnsoulSettings.TOKEN_SETTING, null)
