class_name VillageAgent
extends Node
## One villager's planner session on the sidecar (AgentOpen stream, AgentReport, AgentSetGoal):
## it hands out the plan's actions one at a time and forwards how each went. The same shape
## as the addon's EnsoulAgent, which replaces it once that lands.

## A new plan arrived: [param plan] is an Array of [code][name, arg, …][/code] actions.
signal plan_changed(plan: Array)
## The next action of the plan is the game's to act out; report how it went.
signal action_started(action_name: String, args: Array)
## The plan is over: every action reported, or the new plan is empty (nothing to do, or no
## plan found: [member plan_found] tells which).
signal plan_finished()
## The session failed (no sidecar, refused, closed): [param message] says why.
signal agent_failed(message: String)

## The client the session runs on (opened by the caller).
var client: EnsoulClient
## Unique per connection.
var agent_id: String = ""
## The plan's revision and why the sidecar made it ("opened", "action_failed", …).
var revision: int = 0
var reason: String = ""
## The current plan's actions, and the index of the one being acted out.
var plan: Array = []
var step: int = 0
## False when the sidecar found no plan for the todo list.
var plan_found: bool = true

var _stream: EnsoulRequest = null
var _reporting := false


## Opens the session with a stored domain, the agent's [param state] and [param todo] list.
func open(domain_id: String, state: Dictionary, todo: Array) -> void:
	var message := EnsoulV1.AgentOpen.new()
	message.agent_id = agent_id
	message.domain_id = domain_id
	message.state_json = JSON.stringify(state)
	message.todo_json = JSON.stringify(todo)
	_stream = client.send_request(&"agent_open", message, true)
	_stream.frame_received.connect(_on_frame)
	_stream.finished.connect(_on_stream_finished)
	if _stream.is_done():
		_on_stream_finished(_stream.result)


## The current action went well; [param state_delta] says what the villager saw on the way.
func report_success(state_delta: Dictionary = {}) -> void:
	await _report(true, state_delta, "")


## The current action failed because of [param why]; [param state_delta] is what was found.
func report_failure(why: String, state_delta: Dictionary = {}) -> void:
	await _report(false, state_delta, why)


## A new todo list (e.g. the next day); the sidecar replans at once.
func set_goal(todo: Array) -> void:
	var message := EnsoulV1.AgentSetGoal.new()
	message.agent_id = agent_id
	message.todo_json = JSON.stringify(todo)
	var result := await client.call_method(&"agent_set_goal", message)
	if not result.ok:
		_fail("set goal", result)


func _report(ok: bool, state_delta: Dictionary, why: String) -> void:
	if _reporting or step >= plan.size():
		return
	_reporting = true
	var message := EnsoulV1.AgentReport.new()
	message.agent_id = agent_id
	message.revision = revision
	message.step = step
	message.ok = ok
	message.state_delta_json = JSON.stringify(state_delta)
	message.reason = why
	var sent_revision := revision
	var result := await client.call_method(&"agent_report", message)
	_reporting = false
	if not result.ok:
		_fail("report", result)
		return
	# A replan arrives on the stream before the ack and has already restarted the plan.
	if result.envelope.agent_ack.replanned or revision != sent_revision:
		return
	step += 1
	_start_step()


func _on_frame(envelope: EnsoulV1.Envelope) -> void:
	if envelope.body != &"agent_plan":
		return
	var update := envelope.agent_plan
	revision = update.revision
	reason = update.reason
	plan = []
	plan_found = update.plan.found
	if plan_found:
		for planned in update.plan.steps:
			var args: Variant = JSON.parse_string(planned.args_json)
			plan.append([planned.name] + (args if args is Array else []))
	step = 0
	plan_changed.emit(plan)
	_start_step()


func _start_step() -> void:
	if step < plan.size():
		var action: Array = plan[step]
		action_started.emit(String(action[0]), action.slice(1))
	else:
		plan_finished.emit()


func _on_stream_finished(result: EnsoulResult) -> void:
	if not result.ok:
		_fail("session", result)


func _fail(what: String, result: EnsoulResult) -> void:
	# CANCELLED: the game closed the connection itself (it is quitting).
	if result.error_code != EnsoulV1.ErrorCode.CANCELLED:
		agent_failed.emit("%s: %s" % [what, result.message])


func _exit_tree() -> void:
	if client and client.state == EnsoulClient.State.OPEN:
		var message := EnsoulV1.AgentClose.new()
		message.agent_id = agent_id
		client.send_request(&"agent_close", message)
