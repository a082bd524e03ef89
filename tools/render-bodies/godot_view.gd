extends Node3D
## Shows the bodies listed in res://bodies/index.json as Godot's own glTF importer builds them,
## posed through their Skeleton3D with the humanoid bone names, then prints BODY-VIEW-READY
## so the page can be photographed, and quits.

const POSE := {
	"LeftUpperArm": Vector3(0, 0, -1.2), "RightUpperArm": Vector3(0, 0, 1.2),
	"LeftLowerArm": Vector3(0, -1.0, 0), "RightLowerArm": Vector3(0, 1.0, 0),
	"LeftUpperLeg": Vector3(-0.7, 0, 0), "LeftLowerLeg": Vector3(1.1, 0, 0),
	"RightUpperLeg": Vector3(0.25, 0, 0),
	"Spine": Vector3(0, 0.25, 0), "Neck": Vector3(0.15, 0.3, 0), "Head": Vector3(0, 0.3, 0.1),
}


func _ready() -> void:
	var index: Array = JSON.parse_string(FileAccess.get_file_as_string("res://bodies/index.json"))
	var environment := Environment.new()
	environment.background_mode = Environment.BG_COLOR
	environment.background_color = Color(0.87, 0.89, 0.91)
	environment.ambient_light_source = Environment.AMBIENT_SOURCE_COLOR
	environment.ambient_light_color = Color(1, 1, 1)
	environment.ambient_light_energy = 0.55
	var world := WorldEnvironment.new()
	world.environment = environment
	add_child(world)
	var sun := DirectionalLight3D.new()
	sun.rotation_degrees = Vector3(-35, 25, 0)
	sun.light_energy = 1.3
	add_child(sun)
	var tallest := 0.0
	for entry: Dictionary in index:
		var doc := GLTFDocument.new()
		var state := GLTFState.new()
		doc.append_from_buffer(FileAccess.get_file_as_bytes("res://bodies/" + String(entry["file"])), "", state)
		var body: Node3D = doc.generate_scene(state)
		add_child(body)
		body.position.x = float(entry["x"])
		body.rotation.y = 0.5
		tallest = maxf(tallest, float(entry["heightM"]))
		var skeleton: Skeleton3D = body.find_children("*", "Skeleton3D", true, false)[0]
		for bone_name: String in POSE:
			var rotation := Basis.from_euler(POSE[bone_name], EULER_ORDER_XYZ).get_rotation_quaternion()
			skeleton.set_bone_pose_rotation(skeleton.find_bone(bone_name), rotation)
		for side in ["Left", "Right"]:
			for finger in ["Index", "Middle", "Ring", "Little"]:
				for segment in ["Proximal", "Intermediate", "Distal"]:
					var angle := -0.7 if side == "Left" else 0.7
					skeleton.set_bone_pose_rotation(skeleton.find_bone(side + finger + segment), Quaternion(Vector3(0, 0, 1), angle))
	var camera := Camera3D.new()
	camera.projection = Camera3D.PROJECTION_ORTHOGONAL
	camera.size = tallest * 1.08
	camera.position = Vector3(0, tallest * 0.5, 10)
	add_child(camera)
	camera.current = true
	for i in 5:
		await get_tree().process_frame
	print("BODY-VIEW-READY")
	await get_tree().create_timer(2.0).timeout
	get_tree().quit(0)
