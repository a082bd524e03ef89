extends SidecarTest
## EnsoulAgent in a scene (villager.tscn: an NPC with an agent planning simple_htn's travel)
## against the real sidecar.

const TAXI_PLAN := ["call_taxi", "ride_taxi", "pay_driver"]

var villager: Node
var agent: EnsoulAgent
## What the agent emitted, in order: "plan:<names>", "action:<name>", "completed", "no_plan", "error:<code>".
var events: Array[String] = []


func before_each() -> void:
	# The engine runs slowly while the rest of the suite shares the machine's two cores.
	timeout_s = 20.0
	super.before_each()
	villager = (load("res://test/runtime/villager.tscn") as PackedScene).instantiate()
	agent = villager.get_node("EnsoulAgent")
	agent.plan_changed.connect(func(plan: Array[Dictionary]) -> void: events.append("plan:" + ",".join(plan.map(func(s: Dictionary) -> String: return s.name))))
	agent.action_started.connect(func(action: String, _args: Array) -> void: events.append("action:" + action))
	agent.plan_completed.connect(func() -> void: events.append("completed"))
	agent.planning_failed.connect(func() -> void: events.append("no_plan"))
	agent.error_received.connect(func(error: EnsoulResult) -> void: events.append("error:" + error.error_name()))


func after_each() -> void:
	var shared := get_tree().root.get_node_or_null("EnsoulClient")
	if shared:
		shared.queue_free()
	get_tree().root.remove_meta(EnsoulAgent.SHARED_CLIENT_META)


func _wait_for(event: String, count: int = 1, seconds: float = 10.0) -> bool:
	var seen := await wait_until(func() -> bool: return events.count(event) >= count, seconds)
	return assert_true(seen, "waited for %s ×%d; events: %s" % [event, count, events])


## Gives the agent the test's client, opens it, adds the villager and waits for its first action;
## false (the test has failed) if it never comes.
func _villager_on_the_road() -> bool:
	agent.client = client
	await client.open()
	add_child(villager)
	return await _wait_for("action:call_taxi")


func test_the_plan_arrives_and_a_reported_failure_brings_a_new_plan() -> void:
	# No client given: the agent makes the shared one from the project settings.
	add_child(villager)
	if not await _wait_for("plan:call_taxi,ride_taxi,pay_driver"):
		return
	assert_eq(events, ["plan:call_taxi,ride_taxi,pay_driver", "action:call_taxi"] as Array[String])
	assert_eq(agent.current_action(), {"name": "call_taxi", "args": ["alice", "home_a"]})
	assert_not_null(get_tree().root.get_node_or_null("EnsoulClient"), "the shared client is at the root")
	var ok := await agent.report_success()
	assert_true(ok.ok, str(ok))
	assert_eq(events.back(), "action:ride_taxi", "the next step started")
	# The taxi breaks down; alice is let out at bob's house, from where the park is a short walk.
	var failed := await agent.report_failure("the taxi broke down", {"loc": {"alice": "home_b"}})
	assert_true(failed.ok, str(failed))
	assert_eq(events.slice(-2), ["plan:walk", "action:walk"] as Array[String], "plan_changed came again")
	assert_eq(agent.revision, 2)
	assert_eq(agent.current_action().args, ["alice", "home_b", "park"])
	assert_eq(agent.state.loc.alice, "home_b", "the reported delta is in the agent's state")
	await agent.report_success({"loc": {"alice": "park"}})
	assert_eq(events.back(), "completed")
	var goal := await agent.set_goal([["travel", "bob", "park"]])
	assert_true(goal.ok, str(goal))
	assert_eq(events.slice(-2), ["plan:walk", "action:walk"] as Array[String], "a new goal, a new plan")
	assert_false(events.any(func(e: String) -> bool: return e.begins_with("error")), str(events))


func test_agents_readied_in_one_frame_share_one_client() -> void:
	var neighbour: Node = (load("res://test/runtime/villager.tscn") as PackedScene).instantiate()
	var other: EnsoulAgent = neighbour.get_node("EnsoulAgent")
	other.agent_id = "neighbour"
	add_child(villager)
	add_child(neighbour)
	if not await _wait_for("action:call_taxi"):
		return
	await wait_until(func() -> bool: return other.current_action().get("name") == "call_taxi")
	assert_eq(other.current_action().get("name"), "call_taxi", "the second agent planned too")
	var clients := get_tree().root.get_children().filter(func(n: Node) -> bool: return n is EnsoulClient)
	assert_eq(clients.size(), 1, "one shared client at the root")
	assert_true(agent.client == other.client and agent.client == clients[0])


func test_a_stopped_agent_starts_over() -> void:
	if not await _villager_on_the_road():
		return
	await agent.report_success()
	agent.stop()
	assert_false(agent.is_running())
	agent.start()
	if not await _wait_for("action:call_taxi", 2):
		return
	assert_eq([agent.revision, agent.step], [1, 0], "a fresh plan from the first step")
	var ok := await agent.report_success()
	assert_true(ok.ok, str(ok))


func test_a_broke_npc_gets_no_plan_and_a_new_goal_plans_again() -> void:
	if not await _villager_on_the_road():
		return
	await agent.report_failure("lost the purse", {"cash": {"alice": 0}})
	assert_eq(events.slice(-2), ["plan:", "no_plan"] as Array[String])
	assert_false(agent.plan_found)
	var refused := await agent.report_success()
	assert_eq(refused.error_name(), "FAILED_PRECONDITION", "nothing to report on without a plan")
	await agent.set_goal([["travel", "bob", "park"]])
	assert_eq(events.back(), "action:walk")


## Starts the villager on the test's own reconnecting client and reports its first step done.
func _start_and_take_the_taxi() -> bool:
	agent.client = client
	client.auto_reconnect = true
	add_child(villager)
	if not await _wait_for("action:call_taxi"):
		return false
	await agent.report_success()
	return assert_eq(events.back(), "action:ride_taxi")


func test_the_agent_takes_up_its_plan_again_after_a_dropped_connection() -> void:
	if not await _start_and_take_the_taxi():
		return
	client.close()
	assert_false(agent.is_running(), "the session ended with the connection")
	await client.open()
	if not await _wait_for("action:ride_taxi", 2):
		return
	assert_eq(agent.revision, 1, "the same plan, resumed")
	assert_eq(agent.step, 1, "at the same step")
	var ok := await agent.report_success()
	assert_true(ok.ok, "the sidecar agrees where the agent is: %s" % ok)
	assert_eq(events.back(), "action:pay_driver")


func test_the_agent_takes_up_its_plan_again_after_the_sidecar_restarted() -> void:
	timeout_s = 40.0
	if not await _start_and_take_the_taxi():
		return
	print("RESTART-SIDECAR")
	# The sidecar keeps agents' last state in its data store: the session resumes where it was.
	if not await _wait_for("action:ride_taxi", 2, 30.0):
		return
	assert_eq(agent.revision, 1, "the same plan")
	assert_eq(agent.step, 1, "at the same step")
	var ok := await agent.report_success()
	assert_true(ok.ok, "the restarted sidecar agrees where the agent is: %s" % ok)
	assert_eq(events.back(), "action:pay_driver")
	assert_false(events.any(func(e: String) -> bool: return e.begins_with("error")), str(events))


func test_the_agent_plans_anew_when_the_sidecar_forgot_it() -> void:
	if not await _start_and_take_the_taxi():
		return
	client.close()
	# Another connection of the same owner takes the session up and closes it: it is forgotten.
	var other := new_client()
	await other.open()
	var taken := other.resume_agent(agent.agent_id)
	await wait_until(func() -> bool: return taken.revision == 1 or taken.is_done())
	assert_true((await other.close_agent(agent.agent_id)).ok)
	await client.open()
	# Resuming fails with NOT_FOUND, so the agent opens a new session from what it knows (its
	# state holds only what was reported, so alice is still at home).
	if not await _wait_for("plan:call_taxi,ride_taxi,pay_driver", 2):
		return
	assert_eq(agent.revision, 1, "a new session")
	assert_eq(agent.step, 0)
	assert_eq(events.back(), "action:call_taxi")
	assert_false(events.any(func(e: String) -> bool: return e.begins_with("error")), str(events))


func test_an_agent_without_a_domain_says_so() -> void:
	agent.client = client
	agent.domain = null
	add_child(villager)
	assert_eq(events, ["error:INVALID_ARGUMENT"] as Array[String])
	assert_false(agent.is_running())


func test_a_domain_the_sidecar_refuses_is_an_error_value() -> void:
	agent.client = client
	agent.domain = EnsoulDomain.from_document({"name": "broken", "actions": 5})
	await client.open()
	add_child(villager)
	if not await _wait_for("error:INVALID_ARGUMENT"):
		return
	assert_false(agent.is_running())
	assert_false(events.any(func(e: String) -> bool: return e.begins_with("plan")), str(events))


func test_an_agent_whose_sidecar_is_away_says_so_and_starts_when_it_answers() -> void:
	var away := new_client()
	away.url = "ws://127.0.0.1:9/v1/ws"
	away.connect_timeout_s = 2.0
	agent.client = away
	add_child(villager)
	var failed := await wait_until(func() -> bool: return events.any(func(e: String) -> bool: return e.begins_with("error:")), 6.0)
	if not assert_true(failed, "an error came: %s" % [events]):
		return
	assert_true(events[0] in ["error:UNAVAILABLE", "error:DEADLINE_EXCEEDED"], events[0])
	assert_false(events.any(func(e: String) -> bool: return e.begins_with("plan")))
	away.url = user_arg("url")
	await away.open()
	await _wait_for("action:call_taxi")
