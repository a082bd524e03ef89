class_name VillageWorld
extends Node3D
## The village as it really is: places, the roads between them, barriers the player put up and
## the items lying about. It builds its own meshes, answers what a villager standing somewhere
## can see ([method observe]), and writes the planner's starting state ([method planner_state]).
## The villagers' planners only learn the truth through what their villagers see.

## A road was blocked or opened by the player.
signal road_changed(road: String, blocked: bool)
## An item was taken or put back: [param kind] is "tool", "tools_for_sale" or "food".
signal item_changed(kind: String, place: String, count: int)

## Places by name: where they are and how they look.
const PLACES := {
	"plaza": {"at": Vector2(0, 0), "title": "Plaza", "look": "plaza"},
	"field": {"at": Vector2(-16, 4), "title": "Field", "look": "field"},
	"forge": {"at": Vector2(13, -4), "title": "Forge", "look": "forge"},
	"mine": {"at": Vector2(11, -15), "title": "Mine", "look": "mine"},
	"market": {"at": Vector2(11, 8), "title": "Market", "look": "market"},
	"tavern": {"at": Vector2(-6, 11), "title": "Tavern", "look": "tavern"},
	"house_farmer": {"at": Vector2(-15, -9), "title": "Farmhouse", "look": "house"},
	"house_smith": {"at": Vector2(-5, -11), "title": "Smith's house", "look": "house"},
	"house_miner": {"at": Vector2(3, -13), "title": "Miner's house", "look": "house"},
}
## Roads: each "a,b" joins two places (the planner reads either order).
const ROADS: Array[String] = [
	"house_farmer,house_smith", "house_smith,house_miner", "house_smith,plaza", "house_miner,plaza",
	"house_farmer,field", "field,tavern", "field,plaza", "tavern,plaza", "tavern,market",
	"plaza,market", "plaza,forge", "forge,market", "house_miner,mine", "mine,forge",
]
## Items at the start: kind → place → count.
const START_ITEMS := {
	"tool": {"field": 1, "forge": 1, "mine": 1},
	"tools_for_sale": {"forge": 2},
	"food": {"tavern": 3, "market": 2},
}
## How far along a road (0..1 from its first place) a barrier stands.
const BARRIER_AT := 0.5

const _GROUND := Color(0.42, 0.58, 0.3)
const _ROAD := Color(0.78, 0.68, 0.5)

## Blocked roads (road → true).
var blocked: Dictionary = {}
## Items now: kind → place → count.
var items: Dictionary = {}

var _barriers: Dictionary = {}  # road → Node3D
var _item_nodes: Dictionary = {}  # "kind@place" → Array[Node3D], one per item


func _ready() -> void:
	items = START_ITEMS.duplicate(true)
	_build_ground()
	for road in ROADS:
		_build_road(road)
	for place: String in PLACES:
		_build_place(place)
	for kind: String in items:
		for place: String in items[kind]:
			_build_items(kind, place)


## The ground position of [param place] (y = 0).
func place_position(place: String) -> Vector3:
	var at: Vector2 = PLACES[place]["at"]
	return Vector3(at.x, 0.0, at.y)


## The road joining [param a] and [param b] as listed in [constant ROADS], or "" when none.
func road_between(a: String, b: String) -> String:
	if ROADS.has("%s,%s" % [a, b]):
		return "%s,%s" % [a, b]
	if ROADS.has("%s,%s" % [b, a]):
		return "%s,%s" % [b, a]
	return ""


## Where the barrier of [param road] stands.
func barrier_position(road: String) -> Vector3:
	var ends := road.split(",")
	return place_position(ends[0]).lerp(place_position(ends[1]), BARRIER_AT)


## Puts up or takes down the barrier on [param road].
func set_blocked(road: String, on: bool) -> void:
	if on:
		blocked[road] = true
	else:
		blocked.erase(road)
	_barriers[road].visible = on
	road_changed.emit(road, on)


func is_blocked(road: String) -> bool:
	return blocked.has(road)


## How many items of [param kind] lie at [param place].
func count(kind: String, place: String) -> int:
	return items.get(kind, {}).get(place, 0)


## Takes one item of [param kind] from [param place] (the player or a villager); false if none.
func take(kind: String, place: String) -> bool:
	if count(kind, place) <= 0:
		return false
	_set_count(kind, place, count(kind, place) - 1)
	return true


## Puts one item of [param kind] back at [param place], up to the number it started with.
func put_back(kind: String, place: String) -> bool:
	if count(kind, place) >= START_ITEMS[kind][place]:
		return false
	_set_count(kind, place, count(kind, place) + 1)
	return true


## Every item spot as "kind@place" (what the player can click).
func item_spots() -> Array[String]:
	var spots: Array[String] = []
	for kind: String in START_ITEMS:
		for place: String in START_ITEMS[kind]:
			spots.append("%s@%s" % [kind, place])
	return spots


## Where the item spot "kind@place" is, for picking with the mouse.
func item_spot_position(spot: String) -> Vector3:
	var nodes: Array = _item_nodes[spot]
	return nodes[0].global_position


## What a villager standing at [param place] sees, as a planner state delta: the barriers on
## the roads that leave it and the items lying there.
func observe(place: String) -> Dictionary:
	var roads := {}
	for road in ROADS:
		if road.split(",").has(place):
			roads[road] = is_blocked(road)
	var seen := {"blocked": roads}
	for kind: String in START_ITEMS:
		if START_ITEMS[kind].has(place):
			seen[_state_variable(kind)] = {place: count(kind, place)}
	return seen


## The planner state of the world as the villagers know it at dawn: the map and the items
## (barriers are unknown until seen).
func planner_state() -> Dictionary:
	var place_set := {}
	for place: String in PLACES:
		place_set[place] = true
	var road_set := {}
	for road in ROADS:
		road_set[road] = true
	var state := {"place": place_set, "road": road_set}
	for kind: String in START_ITEMS:
		state[_state_variable(kind)] = START_ITEMS[kind].duplicate()
	return state


## The planner's state variable for an item kind.
func _state_variable(kind: String) -> String:
	return "tool_at" if kind == "tool" else kind


func _set_count(kind: String, place: String, value: int) -> void:
	items[kind][place] = value
	var nodes: Array = _item_nodes["%s@%s" % [kind, place]]
	for i in nodes.size():
		nodes[i].visible = i < value
	item_changed.emit(kind, place, value)


func _build_ground() -> void:
	var plane := PlaneMesh.new()
	plane.size = Vector2(70, 56)
	_add_mesh(plane, _GROUND, Vector3(-1, 0, -2))


func _build_road(road: String) -> void:
	var ends := road.split(",")
	var a := place_position(ends[0])
	var b := place_position(ends[1])
	var box := BoxMesh.new()
	box.size = Vector3(1.6, 0.04, a.distance_to(b))
	var strip := _add_mesh(box, _ROAD, (a + b) * 0.5 + Vector3(0, 0.02, 0))
	strip.rotation.y = atan2(b.x - a.x, b.z - a.z)

	var barrier := Node3D.new()
	barrier.name = "Barrier_" + road.replace(",", "_")
	add_child(barrier)
	barrier.position = barrier_position(road)
	barrier.rotation.y = strip.rotation.y  # the planks (along local X) lie across the road
	for i in 3:
		var plank := BoxMesh.new()
		plank.size = Vector3(2.4, 0.25, 0.15)
		var mesh := _add_mesh(plank, Color(0.85, 0.1, 0.1) if i % 2 == 0 else Color(0.95, 0.95, 0.95), Vector3(0, 0.3 + 0.3 * i, 0), barrier)
		mesh.name = "Plank%d" % i
	barrier.visible = false
	_barriers[road] = barrier


func _build_place(place: String) -> void:
	var at := place_position(place)
	var look: String = PLACES[place]["look"]
	var roof_colour := Color(0.62, 0.22, 0.16)
	match look:
		"plaza":
			var disc := CylinderMesh.new()
			disc.top_radius = 3.2
			disc.bottom_radius = 3.2
			disc.height = 0.1
			_add_mesh(disc, Color(0.7, 0.7, 0.68), at + Vector3(0, 0.05, 0))
			var well := CylinderMesh.new()
			well.top_radius = 0.8
			well.bottom_radius = 0.9
			well.height = 0.9
			_add_mesh(well, Color(0.45, 0.45, 0.5), at + Vector3(0, 0.45, 0))
		"field":
			for row in 5:
				var furrow := BoxMesh.new()
				furrow.size = Vector3(7.0, 0.25, 0.6)
				_add_mesh(furrow, Color(0.55, 0.42, 0.2) if row % 2 == 0 else Color(0.8, 0.72, 0.3), at + Vector3(-2.0, 0.12, -2.5 + row * 1.2))
		"mine":
			var rock := SphereMesh.new()
			rock.radius = 3.5
			rock.height = 4.5
			_add_mesh(rock, Color(0.42, 0.4, 0.38), at + Vector3(0, 0.6, -2.5))
			var mouth := BoxMesh.new()
			mouth.size = Vector3(1.6, 2.0, 0.4)
			_add_mesh(mouth, Color(0.08, 0.07, 0.06), at + Vector3(0, 1.0, 0.8))
		"market":
			for i in 2:
				_add_stall(at + Vector3(-1.6 + 3.2 * i, 0, -1.8), Color(0.9, 0.75, 0.2) if i == 0 else Color(0.3, 0.5, 0.85))
		"forge":
			_add_house(at + Vector3(0, 0, -2.6), Vector3(4.5, 2.6, 3.5), Color(0.35, 0.33, 0.33), Color(0.25, 0.25, 0.28))
			var anvil := BoxMesh.new()
			anvil.size = Vector3(0.9, 0.7, 0.5)
			_add_mesh(anvil, Color(0.15, 0.15, 0.17), at + Vector3(1.8, 0.35, 0.6))
		"tavern":
			# Beside the door, not in front of it: villagers at the tavern stay in sight.
			_add_house(at + Vector3(-4.6, 0, 1.2), Vector3(4.6, 3.0, 3.6), Color(0.72, 0.55, 0.35), Color(0.35, 0.2, 0.12))
			var table := BoxMesh.new()
			table.size = Vector3(2.4, 0.9, 1.0)
			_add_mesh(table, Color(0.5, 0.34, 0.2), at + Vector3(-2.0, 0.45, -1.2))
		_:
			_add_house(at + Vector3(0, 0, -2.4), Vector3(3.6, 2.4, 3.0), Color(0.9, 0.86, 0.74), roof_colour)
	var label := Label3D.new()
	label.text = PLACES[place]["title"]
	label.billboard = BaseMaterial3D.BILLBOARD_ENABLED
	label.font_size = 110
	label.pixel_size = 0.01
	label.outline_size = 20
	label.modulate = Color(1, 1, 0.9)
	# On the ground in front of the place, clear of the villagers' labels above their heads.
	label.position = at + Vector3(0, 0.3, 2.4)
	add_child(label)


func _add_house(at: Vector3, size: Vector3, wall: Color, roof: Color) -> void:
	var body := BoxMesh.new()
	body.size = size
	_add_mesh(body, wall, at + Vector3(0, size.y * 0.5, 0))
	var top := PrismMesh.new()
	top.size = Vector3(size.x + 0.4, size.y * 0.6, size.z + 0.4)
	_add_mesh(top, roof, at + Vector3(0, size.y + size.y * 0.3, 0))


func _add_stall(at: Vector3, awning: Color) -> void:
	var table := BoxMesh.new()
	table.size = Vector3(2.6, 0.9, 1.2)
	_add_mesh(table, Color(0.5, 0.34, 0.2), at + Vector3(0, 0.45, 0))
	var cover := BoxMesh.new()
	cover.size = Vector3(2.9, 0.12, 1.6)
	_add_mesh(cover, awning, at + Vector3(0, 2.2, 0))


## One small mesh per item, side by side near the place; hidden when taken.
func _build_items(kind: String, place: String) -> void:
	var nodes: Array[Node3D] = []
	var spot := place_position(place) + _item_offset(kind, place)
	for i in START_ITEMS[kind][place]:
		var at := spot + Vector3(0.7 * i, 0, 0)
		var node: Node3D
		if kind == "food":
			var pie := CylinderMesh.new()
			pie.top_radius = 0.3
			pie.bottom_radius = 0.35
			pie.height = 0.22
			node = _add_mesh(pie, Color(0.85, 0.55, 0.2), at + Vector3(0, 1.0, 0))
		else:
			node = _add_tool(at)
		node.name = "%s_%s_%d" % [kind, place, i]
		nodes.append(node)
	_item_nodes["%s@%s" % [kind, place]] = nodes


func _item_offset(kind: String, place: String) -> Vector3:
	match [kind, place]:
		["food", "market"]:
			return Vector3(-2.1, 0, -1.6)
		["food", "tavern"]:
			return Vector3(-2.7, 0, -1.2)
		["tools_for_sale", "forge"]:
			return Vector3(-2.2, 0, 0.6)
		["tool", "forge"]:
			return Vector3(1.0, 0, 1.6)
	return Vector3(1.8, 0, 1.2)


## A tool: a handle with a head, leaning upright.
func _add_tool(at: Vector3) -> Node3D:
	var root := Node3D.new()
	add_child(root)
	root.position = at
	var handle := BoxMesh.new()
	handle.size = Vector3(0.12, 1.4, 0.12)
	_add_mesh(handle, Color(0.55, 0.38, 0.2), Vector3(0, 0.7, 0), root)
	var head := BoxMesh.new()
	head.size = Vector3(0.6, 0.22, 0.22)
	_add_mesh(head, Color(0.6, 0.62, 0.68), Vector3(0, 1.4, 0), root)
	return root


func _add_mesh(mesh: Mesh, colour: Color, at: Vector3, parent: Node = self) -> MeshInstance3D:
	var material := StandardMaterial3D.new()
	material.albedo_color = colour
	material.roughness = 0.9
	var instance := MeshInstance3D.new()
	instance.mesh = mesh
	instance.material_override = material
	instance.position = at
	parent.add_child(instance)
	return instance
