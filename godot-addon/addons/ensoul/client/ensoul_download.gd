@tool
class_name EnsoulDownload
extends EnsoulRequest
## An asset streaming in from the sidecar's chunk store, as [method EnsoulClient.download_asset]
## returns it. [member bytes] grows with every frame; [code]await download.wait()[/code] for
## the end. A frame that does not continue where the last one ended fails the download.

## More of the asset arrived: [param received_bytes] so far.
signal progressed(received_bytes: int)

## The asset's id.
var asset_id: String = ""
## Where the download started in the asset.
var offset: int = 0
## The bytes received so far (the whole asset once the download ended well).
var bytes: PackedByteArray = PackedByteArray()


func _init() -> void:
	body = &"asset_get"
	streaming = true


func _receive_frame(envelope: EnsoulV1.Envelope) -> void:
	if envelope.body == &"asset_data":
		var piece := envelope.asset_data
		if piece.offset != offset + bytes.size():
			var text := "asset data came for offset %d, expected %d" % [piece.offset, offset + bytes.size()]
			_end(EnsoulResult.failure(EnsoulV1.ErrorCode.INTERNAL, text))
			return
		bytes.append_array(piece.data)
		progressed.emit(bytes.size())
	frame_received.emit(envelope)
