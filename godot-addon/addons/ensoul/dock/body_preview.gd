class_name EnsoulBodyPreview
extends SubViewportContainer
## A 3D preview of a character's body: give it the bytes of a [code].glb[/code] and it loads them
## with [GLTFDocument] into its own [SubViewport] and world. Drag with the left mouse button to
## orbit, scroll to zoom. Plain runtime nodes only, so it works in the editor dock and in games.

## A body was loaded and framed; [param model] is the scene [GLTFDocument] made.
signal body_shown(model: Node3D)

## How far the camera may tilt up or down, in radians.
const MAX_PITCH := 1.35
## Radians of orbit per pixel dragged.
const ORBIT_PER_PIXEL := 0.01

## The loaded body, or null before the first [method show_glb].
var model: Node3D = null

var _viewport: SubViewport
var _pivot: Node3D
var _camera: Camera3D
var _yaw: float = 0.4
var _pitch: float = -0.15
var _distance: float = 3.0
var _target := Vector3(0.0, 0.9, 0.0)
var _dragging: bool = false
var _placeholder: Label
var _floor_disc: MeshInstance3D


func _init() -> void:
	stretch = true
	custom_minimum_size = Vector2(200, 200)
	mouse_filter = Control.MOUSE_FILTER_STOP
	_viewport = SubViewport.new()
	_viewport.own_world_3d = true
	_viewport.msaa_3d = Viewport.MSAA_2X
	add_child(_viewport)
	var environment := Environment.new()
	environment.background_mode = Environment.BG_COLOR
	environment.background_color = Color(0.16, 0.18, 0.22)
	environment.ambient_light_source = Environment.AMBIENT_SOURCE_COLOR
	environment.ambient_light_color = Color(0.55, 0.57, 0.62)
	var world := WorldEnvironment.new()
	world.environment = environment
	_viewport.add_child(world)
	var sun := DirectionalLight3D.new()
	sun.rotation = Vector3(-0.9, 0.6, 0.0)
	sun.light_energy = 1.1
	_viewport.add_child(sun)
	_floor_disc = _floor()
	_floor_disc.visible = false
	_viewport.add_child(_floor_disc)
	_pivot = Node3D.new()
	_viewport.add_child(_pivot)
	_camera = Camera3D.new()
	_camera.fov = 40.0
	_pivot.add_child(_camera)
	_placeholder = Label.new()
	_placeholder.text = "No body yet"
	_placeholder.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	_placeholder.vertical_alignment = VERTICAL_ALIGNMENT_CENTER
	_placeholder.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT)
	_placeholder.mouse_filter = Control.MOUSE_FILTER_IGNORE
	add_child(_placeholder)
	_update_camera()


## Loads a [code].glb[/code] from [param bytes] and shows it in place of the previous body.
## Returns [constant OK] or the importer's error (the previous body stays).
func show_glb(bytes: PackedByteArray) -> Error:
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	var err := document.append_from_buffer(bytes, "", state)
	if err != OK:
		return err
	var scene := document.generate_scene(state) as Node3D
	if scene == null:
		return ERR_PARSE_ERROR
	clear()
	model = scene
	_viewport.add_child(model)
	_frame(_bounds(model))
	_placeholder.visible = false
	_floor_disc.visible = true
	body_shown.emit(model)
	return OK


## Removes the body.
func clear() -> void:
	if model != null:
		model.queue_free()
		model = null
	_placeholder.visible = true
	_floor_disc.visible = false


## Turns the camera around the body by [param yaw_radians] and tilts it by [param pitch_radians].
func orbit(yaw_radians: float, pitch_radians: float) -> void:
	_yaw = wrapf(_yaw + yaw_radians, -PI, PI)
	_pitch = clampf(_pitch + pitch_radians, -MAX_PITCH, MAX_PITCH)
	_update_camera()


## The camera's current yaw (radians), e.g. to check that dragging orbits.
func get_yaw() -> float:
	return _yaw


func _gui_input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button != null:
		if button.button_index == MOUSE_BUTTON_LEFT:
			_dragging = button.pressed
			accept_event()
		elif button.pressed and button.button_index in [MOUSE_BUTTON_WHEEL_UP, MOUSE_BUTTON_WHEEL_DOWN]:
			var factor := 0.9 if button.button_index == MOUSE_BUTTON_WHEEL_UP else 1.1
			_distance = clampf(_distance * factor, 0.5, 20.0)
			_update_camera()
			accept_event()
		return
	var motion := event as InputEventMouseMotion
	if motion != null and _dragging:
		orbit(-motion.relative.x * ORBIT_PER_PIXEL, -motion.relative.y * ORBIT_PER_PIXEL)
		accept_event()


func _update_camera() -> void:
	_pivot.position = _target
	_pivot.rotation = Vector3(_pitch, _yaw, 0.0)
	_camera.position = Vector3(0.0, 0.0, _distance)


## Points the camera at the middle of [param box] from far enough to see all of it.
func _frame(box: AABB) -> void:
	_target = box.get_center()
	# The camera's fov is vertical; in a narrow view the horizontal one is what limits.
	var aspect := size.x / size.y if size.y > 0.0 else 1.0
	var half_fov := deg_to_rad(_camera.fov) * 0.5
	var half_fov_narrowest := minf(half_fov, atan(tan(half_fov) * aspect))
	_distance = clampf(box.size.length() * 0.5 / tan(half_fov_narrowest) * 1.05, 0.5, 20.0)
	_update_camera()


## The bounds of every mesh under [param root], in the root's space.
func _bounds(root: Node3D) -> AABB:
	var box := AABB()
	var first := true
	for node: Node in root.find_children("*", "MeshInstance3D", true, false):
		var mesh_instance := node as MeshInstance3D
		var local := mesh_instance.get_aabb()
		var to_root := root.global_transform.affine_inverse() * mesh_instance.global_transform
		var mesh_box := to_root * local
		box = mesh_box if first else box.merge(mesh_box)
		first = false
	return AABB(Vector3(-0.5, 0.0, -0.5), Vector3(1.0, 1.8, 1.0)) if first else box


static func _floor() -> MeshInstance3D:
	var disc := CylinderMesh.new()
	disc.top_radius = 0.8
	disc.bottom_radius = 0.8
	disc.height = 0.02
	var material := StandardMaterial3D.new()
	material.albedo_color = Color(0.3, 0.32, 0.36)
	disc.material = material
	var floor_node := MeshInstance3D.new()
	floor_node.mesh = disc
	floor_node.position.y = -0.011
	return floor_node
