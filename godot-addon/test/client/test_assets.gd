extends SidecarTest
## EnsoulClient's asset calls against the real sidecar: upload, stat, list, download.


func before_each() -> void:
	super.before_each()
	await client.open()


func _random_bytes(size: int) -> PackedByteArray:
	var rng := RandomNumberGenerator.new()
	rng.seed = size
	var data := PackedByteArray()
	data.resize(size)
	for i in size:
		data[i] = rng.randi() & 0xff
	return data


func test_an_uploaded_asset_downloads_byte_for_byte() -> void:
	var data := _random_bytes(300_000)
	var put := await client.upload_asset(data, "noise.bin", "application/octet-stream", "gd-tests")
	if not assert_true(put.ok, str(put)):
		return
	var info := put.envelope.asset_info
	assert_eq(info.size_bytes, data.size())
	assert_eq(info.name, "noise.bin")
	var stat := await client.stat_asset(info.asset_id)
	assert_true(stat.ok and stat.envelope.asset_info.size_bytes == data.size(), str(stat))
	var listed := await client.list_assets("gd-tests", "noise")
	if assert_true(listed.ok, str(listed)):
		assert_has(listed.envelope.asset_list_reply.assets.map(func(a: EnsoulV1.AssetInfo) -> String: return a.asset_id), info.asset_id)
	var download := client.download_asset(info.asset_id)
	var progress: Array[int] = []
	download.progressed.connect(func(received: int) -> void: progress.append(received))
	var got := await download.wait()
	if not assert_true(got.ok, str(got)):
		return
	assert_bytes_eq(download.bytes, data)
	assert_eq(progress.back(), data.size())
	var tail := await client.download_asset(info.asset_id, 299_990).wait()
	assert_true(tail.ok, str(tail))


func test_a_body_too_big_for_a_reply_is_downloaded() -> void:
	var generation := client.generate("a lanky elf scout", 21)
	if not assert_true((await generation.wait()).ok):
		return
	var built := await client.build_body(generation.character)
	if not assert_true(built.ok, str(built)):
		return
	var asset := built.envelope.body_built.asset
	assert_eq(built.envelope.body_built.glb.size(), 0, "no bytes unless asked")
	var download := client.download_asset(asset.asset_id)
	assert_true((await download.wait()).ok)
	assert_eq(download.bytes.size(), asset.size_bytes)
	assert_eq(download.bytes.slice(0, 4).get_string_from_ascii(), "glTF")


func test_an_unknown_asset_is_an_error_value() -> void:
	var missing := await client.download_asset("0".repeat(64)).wait()
	assert_eq(missing.error_name(), "NOT_FOUND", str(missing))
	var bad := await client.stat_asset("not-an-id")
	assert_eq(bad.error_name(), "INVALID_ARGUMENT", str(bad))
	assert_eq(bad.field, "assetStat.assetId")
