class_name VillagerBody
extends Node3D
## A generated body (.glb from the sidecar's body builder, loaded at run time with
## GLTFDocument) posed by code: arms down from the T-pose, legs and arms swinging while walking,
## an arm hammering while working. The skeleton's bones carry SkeletonProfileHumanoid's names.

## What the body is doing; picks the animation.
enum Motion { STAND, WALK, WORK, REST }

var motion: Motion = Motion.STAND

var _skeleton: Skeleton3D = null
var _bones: Dictionary = {}  # bone name → index
var _phase := 0.0


## Loads [param glb] bytes into a new body; null (with [param errors] filled) when they do not load.
static func from_glb(glb: PackedByteArray, errors: Array[String]) -> VillagerBody:
	var document := GLTFDocument.new()
	var state := GLTFState.new()
	var err := document.append_from_buffer(glb, "", state)
	if err != OK:
		errors.append("the body .glb does not load (%s)" % error_string(err))
		return null
	var scene := document.generate_scene(state)
	if scene == null:
		errors.append("the body .glb has no scene")
		return null
	var body := VillagerBody.new()
	body.add_child(scene)
	var skeletons := scene.find_children("*", "Skeleton3D", true, false)
	if skeletons.is_empty():
		errors.append("the body .glb has no skeleton")
	else:
		body._skeleton = skeletons[0]
		for bone in ["LeftUpperArm", "RightUpperArm", "LeftLowerArm", "RightLowerArm", "LeftUpperLeg", "RightUpperLeg", "LeftLowerLeg", "RightLowerLeg", "Head"]:
			body._bones[bone] = body._skeleton.find_bone(bone)
	return body


## Advances the animation by [param delta] game seconds; [param speed] in m/s while walking.
func animate(delta: float, speed: float) -> void:
	if _skeleton == null:
		return
	_phase += delta * (speed * 2.4 if motion == Motion.WALK else 6.0)
	var swing := sin(_phase)
	var legs := swing * 0.5 if motion == Motion.WALK else 0.0
	var arms := -swing * 0.35 if motion == Motion.WALK else 0.0
	_pose("LeftUpperLeg", Quaternion(Vector3.RIGHT, legs))
	_pose("RightUpperLeg", Quaternion(Vector3.RIGHT, -legs))
	_pose("LeftLowerLeg", Quaternion(Vector3.RIGHT, maxf(0.0, legs) * 0.8))
	_pose("RightLowerLeg", Quaternion(Vector3.RIGHT, maxf(0.0, -legs) * 0.8))
	var hammer := (0.6 + 0.6 * swing) if motion == Motion.WORK else 0.0
	# The arms hang down (a turn about Z) and swing about X on top of that.
	_pose("LeftUpperArm", Quaternion(Vector3.RIGHT, arms) * Quaternion(Vector3.BACK, -1.25))
	_pose("RightUpperArm", Quaternion(Vector3.RIGHT, -arms - hammer) * Quaternion(Vector3.BACK, 1.25))
	_pose("Head", Quaternion(Vector3.RIGHT, 0.35 if motion == Motion.REST else 0.0))
	position.y = absf(swing) * 0.05 if motion == Motion.WALK else 0.0


func _pose(bone: String, rotation_quat: Quaternion) -> void:
	var index: int = _bones.get(bone, -1)
	if index >= 0:
		_skeleton.set_bone_pose_rotation(index, rotation_quat)
