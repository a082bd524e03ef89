@tool
class_name EnsoulAgentSession
extends EnsoulRequest
## One NPC agent session on the sidecar's planner, as [method EnsoulClient.open_agent] returns
## it: a stream of plans, the first at once, then a new one whenever the sidecar replans (after a
## failed step, a world that no longer fits the plan, or a new goal). [EnsoulAgent] wraps it in
## a Node; use this class directly to drive an agent from your own code.

## A new plan of this agent: [member revision] and [member plan] are already updated.
## [param reason] is "opened", "resumed", "action_failed", "state_changed" or "goal_changed".
signal plan_received(reason: String)

## The agent's id, unique per connection.
var agent_id: String = ""
## The revision of the current plan (increases with every new plan).
var revision: int = 0
## Whether the sidecar found a plan for the current goal.
var found: bool = false
## The current plan's steps as [code]{"name": String, "args": Array}[/code].
var plan: Array[Dictionary] = []
## The sidecar's last AgentPlan.
var last_plan: EnsoulV1.AgentPlan = null


func _init() -> void:
	body = &"agent_open"
	streaming = true


## Reports how [param step] of the current plan went (see [method EnsoulClient.report_step]).
func report(step: int, ok: bool, state_delta: Dictionary = {}, reason: String = "") -> EnsoulResult:
	var connection: Node = client()
	if connection == null:
		return _gone()
	return await connection.report_step(agent_id, revision, step, ok, state_delta, reason)


## Gives the agent a new todo list; the new plan arrives through [signal plan_received].
func set_goal(todo: Array) -> EnsoulResult:
	var connection: Node = client()
	if connection == null:
		return _gone()
	return await connection.set_agent_goal(agent_id, todo)


## Closes the session on the sidecar; the stream then ends.
func close() -> EnsoulResult:
	var connection: Node = client()
	if connection == null or is_done():
		return _gone()
	return await connection.close_agent(agent_id)


func _receive_frame(envelope: EnsoulV1.Envelope) -> void:
	if envelope.body == &"agent_plan":
		var update := envelope.agent_plan
		last_plan = update
		revision = update.revision
		found = update.plan != null and update.plan.found
		plan = EnsoulClient.plan_steps(update.plan)
		plan_received.emit(update.reason)
	frame_received.emit(envelope)


func _gone() -> EnsoulResult:
	return EnsoulResult.failure(EnsoulV1.ErrorCode.UNAVAILABLE, "agent %s's session is over" % agent_id)
