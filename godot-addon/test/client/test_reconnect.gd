extends SidecarTest
## EnsoulClient comes back by itself when the sidecar restarts (the TypeScript side restarts it
## on the same port when this script prints RESTART-SIDECAR).


func before_each() -> void:
	timeout_s = 40.0
	super.before_each()


func test_the_client_reconnects_after_the_sidecar_restarts() -> void:
	client.auto_reconnect = true
	if not assert_true((await client.open()).ok):
		return
	var events: Array[String] = []
	client.disconnected.connect(func(_code: int, _reason: String) -> void: events.append("disconnected"))
	client.connected.connect(func(_welcome: EnsoulV1.Welcome) -> void: events.append("connected"))
	var pending := client.generate("a patient monk", 5)
	var session := client.open_agent("gd-lost", JSON.parse_string(user_arg("domain_json")), {"loc": {"alice": "home_a"}}, [])
	await get_tree().process_frame
	print("RESTART-SIDECAR")
	if not assert_true(await wait_until(func() -> bool: return events.has("disconnected"), 15.0), "the loss was noticed"):
		return
	assert_false(client.is_open())
	if not assert_true(await wait_until(func() -> bool: return client.is_open(), 25.0), "reconnected: %s" % [events]):
		return
	assert_eq(events, ["disconnected", "connected"] as Array[String])
	var pong := await client.ping()
	assert_true(pong.ok, "the new connection serves: %s" % pong)
	# What was in flight on the lost connection ended as values, not hangs.
	assert_true(session.is_done() and session.result.error_name() == "UNAVAILABLE", str(session.result))
	assert_true(pending.is_done(), "the generation ended (done before the loss, or UNAVAILABLE)")
