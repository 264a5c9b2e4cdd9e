"""Generated and mutated input files: exit 0, 1 or 2 only; on 2 one stderr line naming the file.

Each file kind starts from a valid file and is mutated by hypothesis: truncated, bytes flipped,
binary spliced in, a value replaced by one of the wrong type, nested 100 to 30,000 levels
deep, an alias bomb spliced in (YAML). interlock's CLI judges each file in a child process
(tests/app/input_fuzz_child.py) under a 1 GB address-space limit and a per-file time limit: no
traceback, no running out of memory, no hang.

Bounded to a few seconds per file kind; ``INTERLOCK_FUZZ_INPUTS_LONG=1`` runs for minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import REPO

LONG = os.environ.get("INTERLOCK_FUZZ_INPUTS_LONG") == "1"
#: Wall-clock budget per file kind; examples drawn after it are not run.
BUDGET_S = 600.0 if LONG else 5.0
MAX_EXAMPLES = 5000 if LONG else 60
MEMORY_LIMIT = 1024**3
PER_FILE_TIMEOUT_S = 20.0

PACT_SEED = (REPO / "contracts" / "pacts" / "checkout-payments.json").read_text()
PAYMENTS_SPEC = REPO / "examples" / "shop" / "payments" / "openapi.json"
MANIFEST_SEED = """\
version: 1
services:
  payments:
    run: python -m uvicorn app:app --port {port}
    states: /_pact/states
    env: {RETRIES: "3", URL: "{url:checkout}"}
  checkout:
    base_url: http://127.0.0.1:9
integrations:
  - name: checkout-payments
    consumer: checkout
    provider: payments
    pacts: pact.json
    resilience: {budget: 1s, retries: 2}
"""
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


class Judge:
    """The child that runs the CLI on each file, under RLIMIT_AS."""

    def __init__(self, workdir: Path) -> None:
        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

        self.workdir = workdir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.app.input_fuzz_child"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            preexec_fn=limit,
            env={**os.environ, "INTERLOCK_HOME": str(workdir / "home"), "NO_COLOR": "1"},
        )
        assert self._line(120) == "ready"
        self.started: dict[str, float] = {}
        self.seen: set[bytes] = set()

    def _line(self, timeout_s: float) -> str:
        assert self.proc.stdout is not None
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
            assert ready, f"the judge gave no answer within {timeout_s:g}s"
            line = self.proc.stdout.readline()
            assert line, "the judge died (killed over the memory limit?)"
            if line.startswith(("{", "ready")):
                return line.strip()

    def run(self, *argv: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"argv": list(argv), "timeout_s": PER_FILE_TIMEOUT_S}) + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self._line(PER_FILE_TIMEOUT_S + 30))
        return answer

    def over_budget(self, kind: str, content: bytes) -> bool:
        """Whether ``kind``'s budget is spent (it starts with the kind's first file).

        A file already judged is judged again whatever the time: that is hypothesis replaying
        a failure, which must fail again.
        """
        digest = hashlib.sha256(content).digest()
        if digest in self.seen:
            return False
        self.seen.add(digest)
        return time.monotonic() - self.started.setdefault(kind, time.monotonic()) > BUDGET_S

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Judge]:
    found = Judge(tmp_path_factory.mktemp("judge"))
    yield found
    found.close()


# -- mutations ---------------------------------------------------------------------------------------


def _wrong_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=6,
    )


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = dict(value) if isinstance(value, dict) else list(value)
    copied[path[0]] = _replace(value[path[0]], path[1:], new)
    return copied


@st.composite
def mutated(draw: st.DrawFn, seed: str, kind: str) -> bytes:
    data = yaml.safe_load(seed) if kind == "yaml" else json.loads(seed)
    dump = (lambda v: yaml.safe_dump(v, sort_keys=False)) if kind == "yaml" else json.dumps
    how = draw(st.sampled_from(["truncate", "flip", "binary", "wrong type", "deep", "bomb", "huge string"]))
    raw = seed.encode()
    if how == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if how == "flip":
        out = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    if how == "binary":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=64)) + raw[at:]
    path = draw(st.sampled_from(_paths(data)))
    if how == "wrong type":
        return dump(_replace(data, path, draw(_wrong_values()))).encode()
    if how == "deep":
        depth = draw(st.integers(100, 30_000))
        marker = "DEEP-MARKER-123"
        text = dump(_replace(data, path, marker))
        return text.replace(
            f'"{marker}"' if kind == "json" else marker, "[" * depth + "]" * depth, 1
        ).encode()
    if how == "huge string":
        return dump(_replace(data, path, "x" * draw(st.integers(1, 2_000_000)))).encode()
    # bomb: YAML aliases; in JSON the same text is just invalid JSON
    return (BOMB + "\n" + seed).encode() if kind == "yaml" else (BOMB + seed).encode()


def _check(answer: dict[str, Any], file: Path, content: bytes) -> None:
    shown = content[:300]
    assert not answer["escaped"], f"{answer['escaped']}\nfile starts: {shown!r}"
    assert answer["code"] in (0, 1, 2), f"exit {answer['code']}: {answer['stderr']}\nfile starts: {shown!r}"
    assert "Traceback" not in answer["stderr"] + answer["stdout"]
    if answer["code"] == 2:
        lines = answer["stderr"].splitlines()
        assert len(lines) == 1, answer["stderr"]
        assert file.name in lines[0], f"{lines[0]!r} does not name {file.name}"
        assert len(lines[0]) < 1000, f"a {len(lines[0])}-character line"


# -- the file kinds ----------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@FUZZ
@given(content=mutated(MANIFEST_SEED, "yaml"))
def test_mutated_manifests(judge: Judge, tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    if judge.over_budget("manifest", content):
        return
    work = tmp_path_factory.mktemp("manifest")
    (work / "pact.json").write_text(PACT_SEED)
    manifest = work / "interlock.yaml"
    manifest.write_bytes(content)
    answer = judge.run(
        "contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(work / "r")
    )
    _check(answer, manifest, content)


@FUZZ
@given(content=mutated(PACT_SEED, "json"))
def test_mutated_pacts(judge: Judge, tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    if judge.over_budget("pact", content):
        return
    work = tmp_path_factory.mktemp("pact")
    (work / "openapi.json").write_text(PAYMENTS_SPEC.read_text())
    pact = work / "fuzzed-pact.json"
    pact.write_bytes(content)
    manifest = work / "interlock.yaml"
    manifest.write_text(
        "version: 1\nservices:\n"
        "  payments: {base_url: 'http://127.0.0.1:9', openapi: openapi.json}\n"
        "  checkout: {base_url: 'http://127.0.0.1:9'}\n"
        "integrations:\n  - {name: checkout-payments, consumer: checkout, provider: payments, pacts: fuzzed-pact.json}\n"
    )
    answer = judge.run(
        "contracts", "check-spec", "--manifest", str(manifest), "--report-dir", str(work / "r")
    )
    _check(answer, pact, content)
