class_name Villager
extends Node3D
## One villager: a generated character with a body who acts out the plan its agent hands over
## (walk along a road, work, buy a tool, sell, eat, sleep) and reports how each action went,
## with what it saw where it stands. A barrier on its road or a missing item makes the action
## fail; the agent replans.

## Something worth a line in the village log.
signal logged(villager: Villager, text: String)
## The agent has a new plan for this villager; [param reason] is why the sidecar made it:
## "opened", "action_failed", "state_changed" or "goal_changed" ("resumed" after a reconnect).
signal planned(villager: Villager, plan: Array[Dictionary], reason: String)
## The plan is over (done, or none found); the village starts the next day.
signal day_over(villager: Villager)

## Walking speed in m/s.
const SPEED := 3.0
## How long each action takes, in game seconds.
const DURATIONS := {"work": 5.0, "buy_tool": 1.5, "sell": 2.0, "eat": 3.0, "sleep": 5.0}
## What the label says while an action runs.
const DOING := {"work": "working", "buy_tool": "buying a tool", "sell": "selling", "eat": "eating", "sleep": "sleeping"}

## The villager's id in the planner ("farmer"), its home and workplace.
var villager_id: String = ""
var home: String = ""
var workplace: String = ""
## The character the sidecar generated.
var character: EnsoulCharacter = null
## Where the villager is, as the planner's places go ("" while between places).
var location: String = ""
## True once the villager has bought a tool of its own.
var carrying_tool := false
## Stops every motion while true (the village's pause).
var paused := false
## The agent that plans for this villager (a child node, see [method plan_with]).
var agent: EnsoulAgent = null
## How many actions went well / failed.
var actions_done := 0
var actions_failed := 0

var _world: VillageWorld
var _body: VillagerBody = null
var _label: Label3D
var _offset := Vector3.ZERO  # where on a place this villager stands, so they do not overlap
var _doing := "waking up"
# The action in progress: a walk (road, from, to, turning back) or a wait (seconds left).
var _walk: Dictionary = {}
var _wait_left := 0.0
var _wait_action := ""
# Why the next plan comes: set by the call that may cause one (open, report, new goal).
var _next_plan_reason := "opened"


## Sets the villager up at home in [param world]; [param offset] keeps villagers apart.
## [param label_height] staggers the labels of villagers standing together.
func setup(world: VillageWorld, id: String, home_place: String, work_place: String, offset: Vector3, label_height: float) -> void:
	_world = world
	villager_id = id
	home = home_place
	workplace = work_place
	location = home_place
	_offset = offset
	name = id.capitalize()
	position = world.place_position(home_place) + offset
	_label = Label3D.new()
	_label.billboard = BaseMaterial3D.BILLBOARD_ENABLED
	_label.font_size = 100
	_label.pixel_size = 0.01
	_label.outline_size = 24
	_label.no_depth_test = true
	_label.position = Vector3(0, label_height, 0)
	add_child(_label)
	_update_label()


## Wears [param body] (a VillagerBody built from the character's .glb).
func wear(body: VillagerBody) -> void:
	_body = body
	_body.scale = Vector3.ONE * 1.8
	add_child(_body)


## True once the villager wears a generated body.
func has_body() -> bool:
	return _body != null


## The character's name, or the villager's id before the character arrives.
func display_name() -> String:
	return character.name if character else villager_id.capitalize()


## Lets [param planner] (configured, not yet in the tree) plan for this villager and opens its
## session: its actions are acted out here and reported back to it.
func plan_with(planner: EnsoulAgent) -> void:
	agent = planner
	agent.action_started.connect(act)
	agent.plan_changed.connect(_on_plan_changed)
	agent.plan_completed.connect(func() -> void: _end_day("day done, resting"))
	agent.planning_failed.connect(func() -> void: _end_day("no plan: waiting"))
	_next_plan_reason = "opened"
	add_child(agent)


## Plans the next day from where the villager is now.
func start_new_day() -> void:
	_next_plan_reason = "goal_changed"
	agent.set_goal([["day", villager_id]])


## What the planner knows about this villager at dawn, merged into the world's state.
func planner_facts(state: Dictionary) -> void:
	for variable in ["loc", "home", "workplace", "coins", "goods", "carrying_tool"]:
		if not state.has(variable):
			state[variable] = {}
	state["loc"][villager_id] = location
	state["home"][villager_id] = home
	state["workplace"][villager_id] = workplace
	state["coins"][villager_id] = 3
	state["goods"][villager_id] = 0
	state["carrying_tool"][villager_id] = carrying_tool


## Starts acting out [param action_name] with [param args] (from the agent).
func act(action_name: String, args: Array) -> void:
	_walk = {}
	_wait_action = ""
	if action_name == "walk" and args.size() == 3:
		_start_walk(String(args[1]), String(args[2]))
		return
	if not DURATIONS.has(action_name):
		_fail("does not know how to %s" % action_name, {})
		return
	# The world decides whether the action can happen at all, before the villager waits it out.
	match action_name:
		"work":
			if not carrying_tool and _world.count("tool", location) <= 0:
				_fail("the tool at %s is gone" % VillageWorld.PLACES[location]["title"], {"tool_at": {location: 0}})
				return
		"buy_tool":
			if not _world.take("tools_for_sale", location):
				_fail("no tools left for sale", {"tools_for_sale": {location: 0}})
				return
			carrying_tool = true
		"eat":
			if not _world.take("food", location):
				_fail("no food left at %s" % VillageWorld.PLACES[location]["title"], {"food": {location: 0}})
				return
	_wait_action = action_name
	_wait_left = DURATIONS[action_name]
	_doing = DOING[action_name]
	if _body:
		_body.motion = VillagerBody.Motion.REST if action_name == "sleep" else VillagerBody.Motion.WORK
	_update_label()


## Stands idle with [param text] on the label (plan over, waiting for the next day).
func idle(text: String) -> void:
	_walk = {}
	_wait_action = ""
	_doing = text
	if _body:
		_body.motion = VillagerBody.Motion.STAND
	_update_label()


func _process(delta: float) -> void:
	if paused:
		return
	if not _walk.is_empty():
		_step_walk(delta)
	elif _wait_action != "":
		_wait_left -= delta
		if _wait_left <= 0.0:
			var done := _wait_action
			_wait_action = ""
			_succeed("%s done" % done)
	if _body:
		_body.animate(delta, SPEED)


func _start_walk(from: String, to: String) -> void:
	var road := _world.road_between(from, to)
	if road == "" or from != location:
		_fail("cannot walk from %s to %s" % [from, to], {})
		return
	_walk = {"road": road, "from": from, "to": to, "turning_back": false, "pause": 0.0}
	location = ""
	_doing = "to %s" % VillageWorld.PLACES[to]["title"]
	if _body:
		_body.motion = VillagerBody.Motion.WALK
	_update_label()


## Walks towards the road's end; a barrier ahead (not yet passed) turns the villager back.
func _step_walk(delta: float) -> void:
	var from := _world.place_position(_walk["from"]) + _offset
	var to := _world.place_position(_walk["to"]) + _offset
	if _walk["pause"] > 0.0:
		_walk["pause"] -= delta
		return
	var target := to
	if not _walk["turning_back"] and _world.is_blocked(_walk["road"]):
		var barrier := _world.barrier_position(_walk["road"]) + _offset
		var stop_at := barrier + (from - barrier).normalized() * 1.4
		var travelled := (position - from).length()
		if travelled <= from.distance_to(stop_at) + 0.01:
			target = stop_at
			if position.distance_to(stop_at) < 0.05:
				# Seen the barrier: a moment to look at it, then back to where the walk began.
				_walk["turning_back"] = true
				_walk["pause"] = 1.0
				_doing = "blocked! going back"
				_update_label()
				return
	if _walk["turning_back"]:
		target = from
	var step := SPEED * delta
	var to_target := target - position
	if to_target.length() > 0.001:
		var heading := Vector3(to_target.x, 0, to_target.z)
		rotation.y = atan2(heading.x, heading.z)
	if to_target.length() <= step:
		position = target
		if _walk["turning_back"]:
			location = _walk["from"]
			var road: String = _walk["road"]
			_walk = {}
			_fail("the road to %s is blocked" % VillageWorld.PLACES[_walk_destination_of(road)]["title"], {"blocked": {road: true}})
		elif target == to:
			location = _walk["to"]
			_walk = {}
			_succeed("arrived: %s" % VillageWorld.PLACES[location]["title"])
	else:
		position += to_target.normalized() * step


func _walk_destination_of(road: String) -> String:
	var ends := road.split(",")
	return ends[1] if ends[0] == location else ends[0]


func _on_plan_changed(plan: Array[Dictionary]) -> void:
	var reason := _next_plan_reason
	# A plan nobody asked for comes after a reconnect.
	_next_plan_reason = "resumed"
	planned.emit(self, plan, reason)


func _end_day(text: String) -> void:
	idle(text)
	day_over.emit(self)


func _succeed(text: String) -> void:
	actions_done += 1
	idle("…")
	logged.emit(self, text)
	# Only a change that spoils the rest of the plan makes the sidecar replan.
	_next_plan_reason = "state_changed"
	agent.report_success(_world.observe(location) if location != "" else {})


func _fail(why: String, found: Dictionary) -> void:
	actions_failed += 1
	idle("thinking again")
	logged.emit(self, "FAILED: %s" % why)
	# What the villager found out, plus what it sees where it stands.
	var delta := _world.observe(location) if location != "" else {}
	for variable: String in found:
		if not delta.has(variable):
			delta[variable] = {}
		delta[variable].merge(found[variable], true)
	_next_plan_reason = "action_failed"
	agent.report_failure(why, delta)


func _update_label() -> void:
	if _label:
		_label.text = "%s: %s" % [display_name().get_slice(" ", 0), _doing]
