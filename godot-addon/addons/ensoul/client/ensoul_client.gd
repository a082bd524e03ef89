@tool
@icon("res://addons/ensoul/client/ensoul_client.svg")
class_name EnsoulClient
extends EnsoulConnection
## Talks to the Ensoul sidecar: one typed call for each method it serves. Add it to the scene
## tree (or as an autoload); it never blocks a frame. When it enters the tree without a
## [member EnsoulConnection.token] (or with the default URL) it takes them from the project
## settings [code]ensoul/sidecar/token[/code] and [code]ensoul/sidecar/url[/code].
##
## [codeblock]
## var client := EnsoulClient.new()
## client.url = "ws://127.0.0.1:7317/v1/ws"
## client.token = "ens_…"
## add_child(client)
## var opened := await client.open()
## if not opened.ok:
##     push_error(opened.message)
## var result := await client.plan("village", {"loc": {"ann": "home"}}, [["work", "ann"]])
## if result.ok:
##     for step in EnsoulClient.plan_steps(result.envelope.plan_reply):
##         print(step.name, step.args)
## [/codeblock]
## A call that answers once returns an [EnsoulResult] to await: the reply, or the protocol's
## error code and message. A stream returns its own request object at once
## ([EnsoulGeneration], [EnsoulAgentSession], [EnsoulDownload]) with its own signals.
##
## A planner [param domain] argument is a registered domain id ([String]), a domain document
## ([Dictionary], or a [String] of JSON starting with [code]{[/code]), or an [EnsoulDomain].


func _ready() -> void:
	# As an autoload nobody sets the properties: fall back on the project settings.
	if token.is_empty():
		token = EnsoulSettings.sidecar_token()
	if url == EnsoulSettings.DEFAULT_URL:
		url = EnsoulSettings.sidecar_url()


## Reads the connection settings from the project settings [code]ensoul/sidecar/url[/code] and
## [code]ensoul/sidecar/token[/code] (see [EnsoulSettings]) where they are set.
func use_project_settings() -> void:
	url = EnsoulSettings.sidecar_url()
	token = EnsoulSettings.sidecar_token()


## Round trip to the sidecar. The result's envelope carries the Pong.
func ping(payload: PackedByteArray = PackedByteArray()) -> EnsoulResult:
	var message := EnsoulV1.Ping.new()
	message.payload = payload
	message.sent_at_us = Time.get_ticks_usec()
	return await call_method(&"ping", message)


## Milliseconds of one round trip to the sidecar, or -1.0 when it did not answer.
func latency_ms() -> float:
	var sent_us := Time.get_ticks_usec()
	var result := await ping()
	return (Time.get_ticks_usec() - sent_us) / 1000.0 if result.ok else -1.0


## The sidecar's version, mode, services and methods. The result's envelope carries the
## ServerInfo ([code]result.envelope.server_info[/code]).
func server_info() -> EnsoulResult:
	return await call_method(&"server_info_request", EnsoulV1.ServerInfoRequest.new())


## Generates a character, streaming. Returns at once; connect to the returned generation's
## signals or [code]await generation.wait()[/code]. [param generator] is "procedural" or "llm";
## [param hints] may hold name, species, role, pronouns, level; [param sampling] tunes "llm".
## The generation fails with DEADLINE_EXCEEDED when its frames stop for
## [member EnsoulConnection.request_timeout_s].
func generate(prompt: String, seed: int = 0, generator: String = "procedural", hints: Dictionary = {}, sampling: EnsoulV1.GenerateOptions = null) -> EnsoulGeneration:
	var message := EnsoulV1.GenerateRequest.new()
	message.prompt = prompt
	message.seed = seed
	message.generator = generator
	if not hints.is_empty():
		message.hints_json = JSON.stringify(hints)
	message.options = sampling
	return send(EnsoulGeneration.new(), message, request_timeout_s) as EnsoulGeneration


## Builds a rigged .glb body and stores it as an asset. [param document] is a whole character
## ([param source] &"character_json"), its appearance (&"appearance_json") or body parameters
## (&"params_json"). With [param include_bytes] the reply also carries the .glb (refused when it
## is bigger than a frame). The result's envelope carries the BodyBuilt
## ([code]result.envelope.body_built[/code]: the stored asset, and the bytes if asked).
func build_body(document: Dictionary, include_bytes: bool = false, source: StringName = &"character_json", project: String = "", timeout_s: float = 60.0) -> EnsoulResult:
	var message := EnsoulV1.BodyBuild.new()
	if source not in [&"character_json", &"appearance_json", &"params_json"]:
		return EnsoulResult.failure(EnsoulV1.ErrorCode.INVALID_ARGUMENT, "source must be character_json, appearance_json or params_json, not %s" % source, "bodyBuild.source")
	message.set(source, JSON.stringify(document))
	message.include_bytes = include_bytes
	message.project = project
	return await call_method(&"body_build", message, timeout_s)


## Downloads an asset (e.g. a body's .glb too big to come with [method build_body]) from
## [param from_byte] on; returns at once. [code]await download.wait()[/code], then read
## [member EnsoulDownload.bytes]. Times out when its frames stop for
## [member EnsoulConnection.request_timeout_s].
func download_asset(asset_id: String, from_byte: int = 0) -> EnsoulDownload:
	var message := EnsoulV1.AssetGet.new()
	message.asset_id = asset_id
	message.offset = from_byte
	var download := EnsoulDownload.new()
	download.asset_id = asset_id
	download.offset = from_byte
	return send(download, message, request_timeout_s) as EnsoulDownload


## Uploads [param data] as an asset in pieces the sidecar accepts, each awaited, and checks it
## by its SHA-256 at the end. The result's envelope carries the stored AssetInfo.
func upload_asset(data: PackedByteArray, name: String, content_type: String = "application/octet-stream", project: String = "") -> EnsoulResult:
	var begin := EnsoulV1.AssetPutBegin.new()
	begin.name = name
	begin.content_type = content_type
	begin.size_bytes = data.size()
	begin.project = project
	var started := await call_method(&"asset_put_begin", begin)
	if not started.ok:
		return started
	var upload := started.envelope.asset_upload
	var piece_bytes := maxi(1, mini(upload.max_chunk_bytes, MAX_FRAME_BYTES - 1024))
	var at := 0
	while at < data.size():
		var chunk := EnsoulV1.AssetPutChunk.new()
		chunk.upload_id = upload.upload_id
		chunk.offset = at
		chunk.data = data.slice(at, at + piece_bytes)
		var acked := await call_method(&"asset_put_chunk", chunk)
		if not acked.ok:
			return acked
		at += chunk.data.size()
	var hashing := HashingContext.new()
	hashing.start(HashingContext.HASH_SHA256)
	hashing.update(data)
	var commit := EnsoulV1.AssetPutCommit.new()
	commit.upload_id = upload.upload_id
	commit.sha256 = hashing.finish().hex_encode()
	return await call_method(&"asset_put_commit", commit)


## An asset's metadata. The result's envelope carries the AssetInfo.
func stat_asset(asset_id: String) -> EnsoulResult:
	var message := EnsoulV1.AssetStat.new()
	message.asset_id = asset_id
	return await call_method(&"asset_stat", message)


## The assets of [param project] ("": all you may see) whose names start with
## [param name_prefix]. The result's envelope carries the AssetListReply.
func list_assets(project: String = "", name_prefix: String = "", limit: int = 0) -> EnsoulResult:
	var message := EnsoulV1.AssetList.new()
	message.project = project
	message.name_prefix = name_prefix
	message.limit = limit
	return await call_method(&"asset_list", message)


## Registers (or replaces) a planner domain document under [param domain_id]. The result's
## envelope carries the DomainInfo.
func put_domain(domain_id: String, document: Dictionary) -> EnsoulResult:
	var message := EnsoulV1.DomainPut.new()
	message.domain_id = domain_id
	message.domain_json = JSON.stringify(document)
	return await call_method(&"domain_put", message)


## Plans [param todo] (e.g. [code][["travel", "alice", "park"]][/code]) from [param state]
## (e.g. [code]{"loc": {"alice": "home"}}[/code]) in [param domain]. The result's envelope
## carries the PlanReply; [method plan_steps] turns it into steps.
func plan(domain: Variant, state: Dictionary, todo: Array, options: EnsoulV1.PlanOptions = null) -> EnsoulResult:
	var message := EnsoulV1.PlanRequest.new()
	var bad := set_domain(message, domain, "planRequest")
	if bad != null:
		return bad
	message.state_json = JSON.stringify(state)
	message.todo_json = JSON.stringify(todo)
	message.options = options
	return await call_method(&"plan_request", message)


## Opens an NPC agent session: the returned [EnsoulAgentSession] emits its first plan at once
## and a new one whenever the sidecar replans. [param agent_id] is unique per connection.
func open_agent(agent_id: String, domain: Variant, state: Dictionary, todo: Array, options: EnsoulV1.PlanOptions = null) -> EnsoulAgentSession:
	var message := EnsoulV1.AgentOpen.new()
	message.agent_id = agent_id
	var session := EnsoulAgentSession.new()
	session.agent_id = agent_id
	var bad := set_domain(message, domain, "agentOpen")
	if bad != null:
		session._finish(bad)
		return session
	message.state_json = JSON.stringify(state)
	message.todo_json = JSON.stringify(todo)
	message.options = options
	return send(session, message) as EnsoulAgentSession


## Takes up an agent session the sidecar kept after a lost connection (same token, same
## [param agent_id]): its current plan comes again with reason "resumed". Fails with NOT_FOUND
## when the sidecar has no such agent (e.g. it restarted with an in-memory agent store).
func resume_agent(agent_id: String) -> EnsoulAgentSession:
	var message := EnsoulV1.AgentOpen.new()
	message.agent_id = agent_id
	var session := EnsoulAgentSession.new()
	session.agent_id = agent_id
	return send(session, message) as EnsoulAgentSession


## Reports how step [param step] of plan [param revision] went, with what changed in the world
## ([param state_delta], [code]{"var": {"arg": value}}[/code]). The result's envelope carries
## the AgentAck; when it says [code]replanned[/code] the new plan has already arrived on the
## agent's stream.
func report_step(agent_id: String, revision: int, step: int, ok: bool, state_delta: Dictionary = {}, reason: String = "") -> EnsoulResult:
	var message := EnsoulV1.AgentReport.new()
	message.agent_id = agent_id
	message.revision = revision
	message.step = step
	message.ok = ok
	if not state_delta.is_empty():
		message.state_delta_json = JSON.stringify(state_delta)
	message.reason = reason
	return await call_method(&"agent_report", message)


## Gives an agent a new todo list; it replans at once (the plan arrives on its stream).
func set_agent_goal(agent_id: String, todo: Array) -> EnsoulResult:
	var message := EnsoulV1.AgentSetGoal.new()
	message.agent_id = agent_id
	message.todo_json = JSON.stringify(todo)
	return await call_method(&"agent_set_goal", message)


## Closes an agent session: its stream ends and the sidecar forgets it.
func close_agent(agent_id: String) -> EnsoulResult:
	var message := EnsoulV1.AgentClose.new()
	message.agent_id = agent_id
	return await call_method(&"agent_close", message)


## The steps of a plan as [code]{"name": String, "args": Array}[/code] dictionaries, in order
## (empty when none was found: check [code]reply.found[/code]).
static func plan_steps(reply: EnsoulV1.PlanReply) -> Array[Dictionary]:
	var steps: Array[Dictionary] = []
	if reply == null:
		return steps
	for step: EnsoulV1.PlanStep in reply.steps:
		var args: Variant = JSON.parse_string(step.args_json) if not step.args_json.is_empty() else []
		steps.append({"name": step.name, "args": args if args is Array else []})
	return steps


## Sets the domain oneof of a PlanRequest or AgentOpen from [param domain] (see the class
## description); returns null, or an INVALID_ARGUMENT result naming [param field_prefix].
static func set_domain(message: Object, domain: Variant, field_prefix: String) -> EnsoulResult:
	if domain is Object and domain != null and domain.has_method("json_text"):
		var text: String = domain.json_text()
		domain = text if not text.is_empty() else domain.domain_id
	if domain is Dictionary:
		message.domain_json = JSON.stringify(domain)
	elif domain is String and domain.strip_edges().begins_with("{"):
		message.domain_json = domain
	elif domain is String and not domain.is_empty():
		message.domain_id = domain
	else:
		return EnsoulResult.failure(EnsoulV1.ErrorCode.INVALID_ARGUMENT, "give a domain: an id, a domain document or an EnsoulDomain", field_prefix + ".domain")
	return null
