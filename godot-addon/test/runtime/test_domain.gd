extends EnsoulTest
## EnsoulDomain and EnsoulSettings, without a sidecar.


func test_a_domain_reads_its_file_and_checks_what_it_can() -> void:
	var domain: EnsoulDomain = load("res://test/runtime/simple_domain.tres")
	assert_eq(domain.check(), "")
	assert_eq(domain.document().get("name"), "simple_htn")
	assert_eq(EnsoulDomain.from_document({"name": "tiny"}).document(), {"name": "tiny"})
	var broken := EnsoulDomain.new()
	assert_eq(broken.check(), "the domain has no json, source_path or domain_id")
	broken.json = "{\"name\": "
	assert_true(broken.check().begins_with("the domain is not valid JSON"), broken.check())
	broken.json = "[]"
	assert_eq(broken.check(), "the domain must be a JSON object")
	broken.json = ""
	broken.source_path = "res://no/such.json"
	assert_true(broken.check().begins_with("cannot read res://no/such.json"), broken.check())
	var by_id := EnsoulDomain.new()
	by_id.domain_id = "village"
	assert_eq(by_id.check(), "")


func test_settings_are_registered_with_defaults_and_kept_when_set() -> void:
	for name in EnsoulSettings.names():
		ProjectSettings.set_setting(name, null)
	assert_eq(EnsoulSettings.register(), EnsoulSettings.names())
	assert_eq(ProjectSettings.get_setting("ensoul/sidecar/url"), EnsoulSettings.DEFAULT_URL)
	assert_eq(EnsoulSettings.sidecar_token(), "")
	ProjectSettings.set_setting("ensoul/sidecar/token", "ens_mine")
	assert_eq(EnsoulSettings.register(), PackedStringArray(), "nothing new to add")
	assert_eq(EnsoulSettings.sidecar_token(), "ens_mine", "a set value is kept")
	assert_eq(EnsoulSettings.unregister(), PackedStringArray(["ensoul/sidecar/url"]), "only defaults go")
	assert_eq(EnsoulSettings.sidecar_url(), EnsoulSettings.DEFAULT_URL, "an unset url reads as the default")
	assert_true(ProjectSettings.has_setting("ensoul/sidecar/token"))
	var client := EnsoulClient.new()
	client.use_project_settings()
	assert_eq(client.token, "ens_mine")
	client.free()
