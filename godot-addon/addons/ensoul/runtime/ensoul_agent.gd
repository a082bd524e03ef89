@icon("res://addons/ensoul/runtime/ensoul_agent.svg")
class_name EnsoulAgent
extends Node
## Gives an NPC a plan from the sidecar's planner and keeps it current. Add it under the NPC,
## give it a [member domain], the world as the NPC knows it ([member state]) and a [member goal];
## it opens an agent session and tells the NPC what to do next through [signal action_started].
## The NPC acts it out and calls [method report_success] or [method report_failure]; the agent
## moves on to the next step, or replans and emits [signal plan_changed] again.
## [codeblock]
## func _ready() -> void:
##     $EnsoulAgent.action_started.connect(_on_action_started)
##
## func _on_action_started(action: String, args: Array) -> void:
##     match action:
##         "walk":
##             if await walk_to(args[2]):
##                 $EnsoulAgent.report_success({"loc": {args[0]: args[2]}})
##             else:
##                 $EnsoulAgent.report_failure("the path is blocked")
## [/codeblock]
## It talks through an [EnsoulClient]: [member client] if set, else an autoload named
## [code]Ensoul[/code] or [code]EnsoulClient[/code], else one it adds to the root as
## [code]EnsoulClient[/code] (reading the project settings), shared by every agent. After a lost
## connection it resumes its session on the sidecar and starts the current action again (its
## report may have been lost), or, when the sidecar forgot the session (it restarted), opens a new
## one from [member state]: report what actions change in [code]state_delta[/code] so that
## [member state] stays the truth.

## A new plan arrived (the first one, or a replan): [param plan] holds its steps as
## [code]{"name": String, "args": Array}[/code]. Empty when nothing is left to do, or when no
## plan was found (then [signal planning_failed] follows).
signal plan_changed(plan: Array[Dictionary])
## The NPC should now carry out [param action] with [param args]; answer with
## [method report_success] or [method report_failure].
signal action_started(action: String, args: Array)
## Every step of the plan was reported done; the agent waits for a new [method set_goal].
signal plan_completed
## The planner found no way to reach the goal from the current state.
signal planning_failed
## Something went wrong talking to the sidecar (a refused report, a lost session that could not
## be reopened); [param error] carries the protocol's code and message.
signal error_received(error: EnsoulResult)
# A session close ended (see _close_session).
signal _closed

## Where the root keeps the client agents share when nobody gave them one.
const SHARED_CLIENT_META := &"ensoul_shared_client"

## The planner domain.
@export var domain: EnsoulDomain
## The world as this NPC knows it, as [code]{"var": {"arg": value}}[/code]. Reported state deltas
## are merged into it, so a session reopened after the sidecar restarted starts from it.
@export var state: Dictionary = {}
## The todo list to plan for, e.g. [code][["travel", "alice", "park"]][/code].
@export var goal: Array = []
## The session's id on the sidecar; empty: the node's path. Unique per connection.
@export var agent_id: String = ""
## Open the session when the node is ready.
@export var autostart: bool = true
## The client to talk through; see the class description for what is used when it is empty.
@export var client: EnsoulClient

## The current plan's steps as [code]{"name": String, "args": Array}[/code].
var plan: Array[Dictionary] = []
## Whether the planner found a plan for the current goal.
var plan_found: bool = false
## The revision of the current plan on the sidecar (increases with each new plan).
var revision: int = 0
## The index in [member plan] of the action being carried out.
var step: int = 0

var _session: EnsoulAgentSession = null
var _closes_pending: int = 0
var _wanted: bool = false
var _reporting: bool = false


func _ready() -> void:
	# Values from a scene are shared by its instances; each agent changes its own.
	state = state.duplicate(true)
	goal = goal.duplicate(true)
	if agent_id.is_empty():
		agent_id = str(get_path())
	if autostart:
		start()


func _exit_tree() -> void:
	stop()
	if client and client.connected.is_connected(_on_client_connected):
		client.connected.disconnect(_on_client_connected)


## Opens the agent session (once connected, if the client is not yet). The first plan arrives
## through [signal plan_changed] and [signal action_started].
func start() -> void:
	if _wanted:
		return
	var problem := domain.check() if domain else "no domain is set"
	if not problem.is_empty():
		error_received.emit(EnsoulResult.failure(EnsoulV1.ErrorCode.INVALID_ARGUMENT, "%s: %s" % [agent_id, problem], "domain"))
		return
	_wanted = true
	while _closes_pending > 0:
		await _closed
	if not _wanted:
		return  # stopped again meanwhile
	# A new session: nothing of a stopped one carries over (stop() made the sidecar forget it).
	plan = []
	plan_found = false
	revision = 0
	step = 0
	_ensure_client()
	if client.is_open():
		_open_session(false)
	elif client.state == EnsoulConnection.State.DISCONNECTED:
		var opened := await client.open()
		if not opened.ok and _wanted:
			# With auto_reconnect on, the session opens once a later attempt succeeds.
			error_received.emit(opened)


## Closes the agent session; the agent stays quiet until [method start] is called again.
func stop() -> void:
	_wanted = false
	var session := _session
	_session = null
	if session and not session.is_done():
		_close_session(session)


## Closes [param session] on the sidecar; a start() meanwhile waits for it (the sidecar may
## answer requests out of order, and the id is taken until the close is done).
func _close_session(session: EnsoulAgentSession) -> void:
	_closes_pending += 1
	await session.close()
	_closes_pending -= 1
	_closed.emit()


## The action being carried out, as [code]{"name", "args"}[/code], or an empty dictionary.
func current_action() -> Dictionary:
	return plan[step] if plan_found and step < plan.size() else {}


## True while the agent's session is open (or opening) on the sidecar.
func is_running() -> bool:
	return _session != null and not _session.is_done()


## The current action succeeded; [param state_delta] says what else changed in the world
## ([code]{"var": {"arg": value}}[/code]). The agent goes on with the next action, or replans if
## the change spoils the rest of the plan. Await it for the sidecar's answer.
func report_success(state_delta: Dictionary = {}) -> EnsoulResult:
	return await _report(true, state_delta, "")


## The current action failed, for [param reason]; [param state_delta] says what the NPC found
## out. The agent replans from there and emits [signal plan_changed].
func report_failure(reason: String = "", state_delta: Dictionary = {}) -> EnsoulResult:
	return await _report(false, state_delta, reason)


## Gives the agent a new todo list; it replans at once (or plans it when it starts).
func set_goal(todo: Array) -> EnsoulResult:
	goal = todo
	if not is_running():
		return EnsoulResult.success(null)
	return _checked(await _session.set_goal(todo))


func _report(ok: bool, state_delta: Dictionary, reason: String) -> EnsoulResult:
	if current_action().is_empty() or not is_running():
		return _checked(EnsoulResult.failure(EnsoulV1.ErrorCode.FAILED_PRECONDITION, "%s has no action to report on" % agent_id))
	if _reporting:
		return _checked(EnsoulResult.failure(EnsoulV1.ErrorCode.FAILED_PRECONDITION, "%s is still sending its last report" % agent_id))
	_reporting = true
	var reported_revision := revision
	var reported_step := step
	_merge_into_state(state_delta)
	var result := await _session.report(reported_step, ok, state_delta, reason)
	_reporting = false
	if not result.ok:
		# A report that crossed a new plan (a goal change, a reconnect) is moot, not an error.
		return result if revision != reported_revision else _checked(result)
	# When the sidecar replanned, the new plan came on the stream before this answer.
	if not result.envelope.agent_ack.replanned and revision == reported_revision and step == reported_step:
		_advance()
	return result


func _advance() -> void:
	step += 1
	if step < plan.size():
		action_started.emit(plan[step].name, plan[step].args)
	else:
		plan_completed.emit()


func _ensure_client() -> void:
	if client == null:
		client = _shared_client()
	if not client.connected.is_connected(_on_client_connected):
		client.connected.connect(_on_client_connected)


## The autoload, or the client an earlier agent added to the root, or a new one added there.
func _shared_client() -> EnsoulClient:
	var root := get_tree().root
	for name: String in ["Ensoul", "EnsoulClient"]:
		var found := root.get_node_or_null(name) as EnsoulClient
		if found:
			return found
	# Agents readied in the same frame must find the one made before it is in the tree.
	var pending: Variant = root.get_meta(SHARED_CLIENT_META, null)
	if is_instance_valid(pending) and not (pending as Node).is_queued_for_deletion():
		return pending
	var made := EnsoulClient.new()
	made.name = "EnsoulClient"
	made.use_project_settings()
	root.set_meta(SHARED_CLIENT_META, made)
	# The root may be busy setting up its children (we are probably in _ready).
	root.add_child.call_deferred(made)
	return made


func _on_client_connected(_welcome: EnsoulV1.Welcome) -> void:
	if _wanted and (_session == null or _session.is_done()):
		# A session that was running before the connection dropped is resumed; a new one opened.
		_open_session(revision > 0)


func _open_session(resume: bool) -> void:
	var session: EnsoulAgentSession
	if resume:
		session = client.resume_agent(agent_id)
	else:
		session = client.open_agent(agent_id, domain, state, goal)
	_session = session
	session.plan_received.connect(_on_plan_received.bind(session))
	session.finished.connect(_on_session_finished.bind(session, resume))


func _on_plan_received(reason: String, session: EnsoulAgentSession) -> void:
	if session != _session:
		return
	var same_plan := reason == "resumed" and session.revision == revision
	revision = session.revision
	plan = session.plan
	plan_found = session.found
	if not same_plan:
		step = 0
	plan_changed.emit(plan)
	if not plan_found:
		planning_failed.emit()
	elif step < plan.size():
		action_started.emit(plan[step].name, plan[step].args)
	else:
		plan_completed.emit()


func _on_session_finished(result: EnsoulResult, session: EnsoulAgentSession, resumed: bool) -> void:
	if session != _session or not _wanted:
		return
	if resumed and result.error_name() == "NOT_FOUND":
		# The sidecar forgot the session (it restarted): plan again from what we know.
		_open_session(false)
	elif not client.is_open():
		pass  # the connection dropped or was closed: _on_client_connected reopens the session
	else:
		_session = null
		_wanted = false
		error_received.emit(result if not result.ok else EnsoulResult.failure(EnsoulV1.ErrorCode.UNAVAILABLE, "%s's session ended" % agent_id))


func _merge_into_state(delta: Dictionary) -> void:
	for variable: Variant in delta:
		var values: Variant = delta[variable]
		if not values is Dictionary:
			continue
		if not state.get(variable) is Dictionary:
			state[variable] = {}
		(state[variable] as Dictionary).merge(values, true)


func _checked(result: EnsoulResult) -> EnsoulResult:
	if not result.ok:
		error_received.emit(result)
	return result
