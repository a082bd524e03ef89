extends SidecarTest
## EnsoulClient's planner calls against the real sidecar: plan, put_domain and agent sessions,
## with the simple_htn example domain (--domain_json=).

const WORLD := {
	"loc": {"alice": "home_a", "bob": "home_b", "taxi1": "park", "taxi2": "station"},
	"cash": {"alice": 20, "bob": 15},
	"owe": {"alice": 0, "bob": 0},
}
const TAXI_PLAN := ["call_taxi", "ride_taxi", "pay_driver"]

var domain: Dictionary


func before_each() -> void:
	super.before_each()
	domain = JSON.parse_string(user_arg("domain_json"))
	await client.open()


func _names(steps: Array[Dictionary]) -> Array:
	return steps.map(func(step: Dictionary) -> String: return step.name)


func test_a_plan_request_returns_the_steps() -> void:
	var result := await client.plan(domain, WORLD, [["travel", "alice", "park"]])
	if not assert_true(result.ok, str(result)):
		return
	var reply := result.envelope.plan_reply
	assert_true(reply.found)
	var steps := EnsoulClient.plan_steps(reply)
	assert_eq(_names(steps), TAXI_PLAN)
	assert_eq(steps[0].args, ["alice", "home_a"])


func test_a_domain_put_once_is_planned_by_id() -> void:
	var put := await client.put_domain("gd_simple", domain)
	if not assert_true(put.ok, str(put)):
		return
	assert_eq(put.envelope.domain_info.actions, 4)
	var result := await client.plan("gd_simple", WORLD, [["travel", "bob", "park"]])
	if not assert_true(result.ok, str(result)):
		return
	assert_eq(_names(EnsoulClient.plan_steps(result.envelope.plan_reply)), ["walk"])


func test_no_plan_is_found_false_not_an_error() -> void:
	var broke := WORLD.duplicate(true)
	broke.cash.alice = 0
	var result := await client.plan(domain, broke, [["travel", "alice", "park"]])
	if not assert_true(result.ok, str(result)):
		return
	assert_false(result.envelope.plan_reply.found)
	assert_eq(EnsoulClient.plan_steps(result.envelope.plan_reply), [] as Array[Dictionary])


func test_a_bad_todo_list_is_an_error_with_its_field() -> void:
	var result := await client.plan(domain, WORLD, [42])
	assert_eq(result.error_name(), "INVALID_ARGUMENT", str(result))
	assert_true(result.field.begins_with("planRequest.todoJson"), "%s: %s" % [result.field, result.message])
	var unknown := await client.plan(domain, WORLD, [["no_such_task", "alice"]])
	assert_eq(unknown.error_name(), "INVALID_ARGUMENT", str(unknown))
	assert_true("no_such_task" in unknown.message, unknown.message)
	var missing := await client.plan("", WORLD, [])
	assert_eq(missing.error_name(), "INVALID_ARGUMENT", "no domain is refused before sending")


func test_an_agent_session_replans_after_a_failed_step() -> void:
	var session := client.open_agent("gd-alice", domain, WORLD, [["travel", "alice", "park"]])
	var reasons: Array[String] = []
	session.plan_received.connect(func(reason: String) -> void: reasons.append(reason))
	if not assert_true(await wait_until(func() -> bool: return session.revision == 1 or session.is_done()), "first plan"):
		return
	assert_eq(reasons, ["opened"] as Array[String])
	assert_eq(_names(session.plan), TAXI_PLAN)
	var ok := await session.report(0, true)
	assert_true(ok.ok and not ok.envelope.agent_ack.replanned, str(ok))
	# The taxi breaks down after it came; the agent replans from the world the game reports.
	var failed := await session.report(1, false, {"loc": {"alice": "home_b"}}, "the taxi broke down")
	if not assert_true(failed.ok, str(failed)):
		return
	assert_true(failed.envelope.agent_ack.replanned)
	assert_eq(reasons, ["opened", "action_failed"] as Array[String], "the new plan came before the ack")
	assert_eq(session.revision, 2)
	assert_eq(_names(session.plan), ["walk"])
	assert_eq(session.plan[0].args, ["alice", "home_b", "park"])
	var goal := await session.set_goal([["travel", "bob", "park"]])
	assert_true(goal.ok, str(goal))
	assert_eq(reasons.back(), "goal_changed")
	var stale := await client.report_step("gd-alice", 1, 0, true)
	assert_eq(stale.error_name(), "FAILED_PRECONDITION", "a report on an old revision is refused")
	var closed := await session.close()
	assert_true(closed.ok, str(closed))
	var end := await session.wait()
	assert_true(end.ok, "the stream ended well: %s" % end)


func test_a_second_agent_with_the_same_id_is_refused() -> void:
	var first := client.open_agent("gd-twin", domain, WORLD, [["travel", "alice", "park"]])
	await wait_until(func() -> bool: return first.revision == 1)
	var second := client.open_agent("gd-twin", domain, WORLD, [["travel", "alice", "park"]])
	var result := await second.wait()
	assert_eq(result.error_name(), "ALREADY_EXISTS", str(result))
	assert_false(first.is_done(), "the first session goes on")
	await first.close()
