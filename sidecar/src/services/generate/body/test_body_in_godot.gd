extends EnsoulTest
## Bodies made by buildBody, loaded at run time by Godot's own glTF importer: each must give one
## Skeleton3D whose bones match SkeletonProfileHumanoid by name and parent (so retargeting
## needs no bone map), a skinned mesh with the belly/muscle/bust blend shapes, and the height
## asked for. The TypeScript side writes res://bodies/index.json and the .glb files.


func test_every_body_loads_with_the_humanoid_profile_skeleton() -> void:
	var index: Variant = JSON.parse_string(FileAccess.get_file_as_string("res://bodies/index.json"))
	if not assert_true(index is Array and not index.is_empty(), "res://bodies/index.json lists the bodies"):
		return
	var profile := SkeletonProfileHumanoid.new()
	var checked := 0
	for entry: Dictionary in index:
		var label: String = entry["file"]
		var bytes := FileAccess.get_file_as_bytes("res://bodies/%s" % label)
		var doc := GLTFDocument.new()
		var state := GLTFState.new()
		if not assert_eq(doc.append_from_buffer(bytes, "", state), OK, "%s: GLTFDocument reads it" % label):
			continue
		var scene := doc.generate_scene(state)
		if not assert_not_null(scene, "%s: a scene" % label):
			continue
		add_child(scene)
		var skeletons := scene.find_children("*", "Skeleton3D", true, false)
		if not assert_eq(skeletons.size(), 1, "%s: one Skeleton3D" % label):
			continue
		var skeleton: Skeleton3D = skeletons[0]
		assert_eq(skeleton.get_bone_count(), profile.bone_size, "%s: bone count" % label)
		for i in profile.bone_size:
			var bone_name := profile.get_bone_name(i)
			var bone := skeleton.find_bone(bone_name)
			if not assert_true(bone >= 0, "%s: has bone %s" % [label, bone_name]):
				continue
			var parent := skeleton.get_bone_parent(bone)
			var parent_name := "" if parent < 0 else String(skeleton.get_bone_name(parent))
			assert_eq(parent_name, String(profile.get_bone_parent(i)), "%s: parent of %s" % [label, bone_name])
		var meshes := scene.find_children("*", "MeshInstance3D", true, false)
		if not assert_eq(meshes.size(), 1, "%s: one MeshInstance3D" % label):
			continue
		var mesh_instance: MeshInstance3D = meshes[0]
		assert_not_null(mesh_instance.skin, "%s: the mesh is skinned" % label)
		var mesh := mesh_instance.mesh
		assert_eq(mesh.get_surface_count(), int(entry["surfaces"]), "%s: one surface per material" % label)
		var shapes := PackedStringArray()
		for s in mesh.get_blend_shape_count():
			shapes.append(String(mesh.get_blend_shape_name(s)))
		assert_eq(shapes, PackedStringArray(["belly", "muscle", "bust"]), "%s: blend shapes" % label)
		var box := mesh.get_aabb()
		assert_almost_eq(box.position.y, 0.0, 0.002, "%s: feet on the floor" % label)
		var height: float = entry["heightM"]
		assert_true(box.end.y >= height - 0.001 and box.end.y <= height * 1.035, "%s: top %.3f for height %.3f" % [label, box.end.y, height])
		scene.queue_free()
		checked += 1
	print("ENSOUL-BODIES checked %d" % checked)
	assert_eq(checked, index.size(), "every body checked")
