"""The run's policy: the credentials each stage's inputs declare, and those the proxy saw."""

from __future__ import annotations

from pathlib import Path

from interlock.app.artefacts import declared_secrets, seal_run_dir
from interlock.app.pipeline import STAGES, redaction_policy
from interlock.core.console import Output
from interlock.core.manifest import load_manifest
from interlock.core.redact import MASK
from interlock.pacts.pactfile import load_pact
from interlock.pacts.secrets import pact_secrets
from interlock.stages.load.secrets import locustfile_secrets
from tests.app.test_secrets import PLANTED, project

DECLARED = {k: v for k, v in PLANTED.items() if not k.startswith(("manifest env", "consumer's own"))}


def test_every_stage_declares_the_credentials_its_inputs_send(tmp_path: Path) -> None:
    manifest = load_manifest(project(tmp_path))
    values = {s.value for s in declared_secrets(manifest, list(STAGES.values()), manifest.integrations)}
    for where, value in DECLARED.items():
        assert any(value in known for known in values), where
    # per stage: each knows only its own inputs
    by_stage = {
        name: {s.value for s in declared_secrets(manifest, [stage], manifest.integrations)}
        for name, stage in STAGES.items()
    }
    assert f"Bearer {PLANTED['fuzz suite auth']}" in by_stage["fuzz"]
    assert PLANTED["chaos probe X-Api-Key header"] in by_stage["chaos"]
    assert {
        PLANTED["pact request Authorization header"],
        PLANTED["pact response password member"],
    } <= by_stage["contracts"]
    assert PLANTED["locustfile Authorization header"] in by_stage["load"]


def test_a_stage_whose_input_went_bad_declares_nothing_and_the_rest_still_count(tmp_path: Path) -> None:
    manifest_path = project(tmp_path)
    manifest = load_manifest(manifest_path)
    (tmp_path / "chaos.yaml").write_text("integration: [")  # unreadable now: preflight reported it
    values = {s.value for s in declared_secrets(manifest, list(STAGES.values()), manifest.integrations)}
    assert PLANTED["chaos probe X-Api-Key header"] not in values
    assert PLANTED["pact response password member"] in values


def test_sealing_masks_declared_and_manifest_secrets_in_every_file(tmp_path: Path) -> None:
    manifest = load_manifest(project(tmp_path / "project"))
    run_dir = tmp_path / "run"
    (run_dir / "services").mkdir(parents=True)
    log = run_dir / "services" / "vault.log"
    log.write_text("".join(f"{where}: {value}\n" for where, value in PLANTED.items()))
    declared = declared_secrets(manifest, list(STAGES.values()), manifest.integrations)
    policy = seal_run_dir(run_dir, redaction_policy(manifest).with_secrets(declared), Output(plain=True))
    text = log.read_text()
    for where, value in PLANTED.items():
        if where.startswith("consumer's own"):  # only the fault proxy knows it
            assert value in text
        else:
            assert value not in text and f"{where}: {MASK}" in text, where
    assert policy.known_values(PLANTED["fuzz suite auth"]) == MASK  # the reports mask the same


def test_pact_secrets_are_credential_headers_and_long_secret_members(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"description": "d",'
        ' "request": {"method": "GET", "path": "/", "headers": {"X-Api-Key": "key-123456", "Accept": "a/b"}},'
        ' "response": {"status": 200, "body": {"items": [{"refresh_token": "rt-12345678"}],'
        ' "token_type": "Bearer", "name": "long-enough-name"}}}]}'
    )
    assert sorted(s.value for s in pact_secrets(load_pact(path))) == ["key-123456", "rt-12345678"]


def test_locustfile_literal_credentials(tmp_path: Path) -> None:
    path = tmp_path / "locustfile.py"
    path.write_text(
        "API_TOKEN = 'const-tok-1'\n"
        "class U:\n"
        "    def on_start(self):\n"
        "        self.client.headers['X-Api-Key'] = 'sub-key-1'\n"
        "        self.client.get('/', headers={'Authorization': 'Bearer lit-tok-1', 'Accept': 'x/y'},"
        " auth=('ann', 'pw-secret-1'))\n"
    )
    assert sorted(s.value for s in locustfile_secrets(path)) == [
        "Bearer lit-tok-1",
        "const-tok-1",
        "lit-tok-1",
        "pw-secret-1",
        "sub-key-1",
    ]
    path.write_text("def broken(:\n")
    assert locustfile_secrets(path) == []
