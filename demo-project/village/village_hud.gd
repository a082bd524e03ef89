class_name VillageHud
extends CanvasLayer
## The village's overlay: what the player can do, the game clock and sidecar status, and a
## log of what the villagers did and planned.

## Lines kept in the log.
const LOG_LINES := 6

var _status: Label
var _log: Label
var _lines: Array[String] = []


func _ready() -> void:
	var help := _panel(Vector2(8, 8), Vector2(340, 80))
	help.add_child(_text(
		"ENSOUL VILLAGE — three villagers plan their day\n" +
		"Click a road: put up / take down a barrier\n" +
		"Click an item: take it (right click: put it back)\n" +
		"Space: pause   + / −: game speed   1-3: follow a villager, 0: all", 11))
	var status_panel := _panel(Vector2(-238, 8), Vector2(230, 44), true)
	_status = _text("connecting…", 11)
	status_panel.add_child(_status)
	var log_panel := _panel(Vector2(8, -106), Vector2(400, 98), false, true)
	_log = _text("", 11)
	log_panel.add_child(_log)


## Shows [param text] in the status box (top right).
func set_status(text: String) -> void:
	_status.text = text


## Adds a line to the log (bottom left).
func add_line(text: String) -> void:
	_lines.append(text)
	while _lines.size() > LOG_LINES:
		_lines.pop_front()
	_log.text = "\n".join(_lines)


func _panel(at: Vector2, size: Vector2, right := false, bottom := false) -> PanelContainer:
	var panel := PanelContainer.new()
	var style := StyleBoxFlat.new()
	style.bg_color = Color(0.05, 0.06, 0.08, 0.72)
	style.set_content_margin_all(6)
	style.set_corner_radius_all(4)
	panel.add_theme_stylebox_override("panel", style)
	panel.anchor_left = 1.0 if right else 0.0
	panel.anchor_right = panel.anchor_left
	panel.anchor_top = 1.0 if bottom else 0.0
	panel.anchor_bottom = panel.anchor_top
	panel.offset_left = at.x
	panel.offset_top = at.y
	panel.offset_right = at.x + size.x
	panel.offset_bottom = at.y + size.y
	add_child(panel)
	return panel


func _text(text: String, size: int) -> Label:
	var label := Label.new()
	label.text = text
	label.add_theme_font_size_override("font_size", size)
	label.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	return label
