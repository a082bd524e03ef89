class_name SidecarTest
extends EnsoulTest
## Base of the tests that talk to the sidecar the harness started (--url=, --token=): each test
## gets [member client], a fresh [EnsoulClient] in the tree, not yet open, without reconnects.

var client: EnsoulClient


func before_each() -> void:
	client = new_client()


## A new client for the test's sidecar, added under this test.
func new_client() -> EnsoulClient:
	var made := EnsoulClient.new()
	made.url = user_arg("url")
	made.token = user_arg("token")
	made.auto_reconnect = false
	add_child(made)
	return made
