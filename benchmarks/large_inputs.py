"""Reading and validating large inputs: a 20 MB manifest, a 40,000-interaction pact, a 50 MB manifest.

Each file is timed twice in the same run: the bare parse (``yaml.safe_load`` with the C loader
when available, ``json.loads``) as the baseline, then interlock's full load and validation
(``load_manifest``: bounded YAML, schema, references; ``load_pact``: bounded JSON, field types,
interactions). The ratio says what validation costs over parsing; half-size files show whether
it scales linearly (time per MB should stay flat). A 50 MB manifest is over interlock's YAML
size bound (core.yamlfile.MAX_YAML_BYTES) and is timed being refused.

    .venv/bin/python benchmarks/large_inputs.py [--manifest-mb 20] [--interactions 40000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from interlock.core.errors import ConfigError
from interlock.core.manifest import load_manifest
from interlock.pacts.pactfile import load_pact

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def write_manifest(path: Path, megabytes: float) -> None:
    """Valid services with a large env each, until the file reaches ``megabytes``."""
    lines = ["version: 1", "services:"]
    size, index = 0, 0
    while size < megabytes * 1e6:
        block = [f"  svc{index}:", f"    base_url: http://127.0.0.1:{1024 + index % 60000}", "    env:"]
        block += [f"      VAR_{k}: value-{index}-{k}-" + "x" * 40 for k in range(50)]
        lines += block
        size += sum(len(b) + 1 for b in block)
        index += 1
    lines += ["integrations:", "  - {name: a-b, consumer: svc0, provider: svc1}"]
    path.write_text("\n".join(lines) + "\n")


def write_pact(path: Path, interactions: int) -> None:
    pact = {
        "consumer": {"name": "checkout"},
        "provider": {"name": "payments"},
        "interactions": [
            {
                "description": f"request {i}",
                "providerState": f"payment {i} exists",
                "request": {
                    "method": "GET",
                    "path": f"/payments/{i}",
                    "headers": {"Accept": "application/json"},
                },
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"id": str(i), "amount": i * 10, "currency": "EUR", "items": list(range(20))},
                },
            }
            for i in range(interactions)
        ],
        "metadata": {"pactSpecification": {"version": "2.0.0"}},
    }
    path.write_text(json.dumps(pact, indent=1))


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    try:
        action()
    except ConfigError as exc:
        raise SystemExit(f"the benchmark's own file was refused: {exc}") from None
    return time.perf_counter() - started


def measure(name: str, path: Path, parse: Callable[[], object], load: Callable[[], object]) -> float:
    mb = path.stat().st_size / 1e6
    base, ours = seconds(parse), seconds(load)
    print(
        f"{name:<34} {mb:6.1f} MB  parse {base:6.2f}s  interlock {ours:6.2f}s  ({ours / mb:.3f} s/MB, {ours / base:.1f}x parse)"
    )
    return ours / mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest-mb", type=float, default=20)
    parser.add_argument("--interactions", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for scale in (0.5, 1.0):
            manifest = Path(work) / f"interlock-{scale}.yaml"
            write_manifest(manifest, args.manifest_mb * scale)
            measure(
                f"manifest ({scale:g}x)",
                manifest,
                lambda m=manifest: yaml.load(m.read_text(), Loader=Loader),
                lambda m=manifest: load_manifest(m),
            )
            pact = Path(work) / f"pact-{scale}.json"
            count = int(args.interactions * scale)
            write_pact(pact, count)
            measure(
                f"pact, {count} interactions",
                pact,
                lambda p=pact: json.loads(p.read_text()),
                lambda p=pact: load_pact(p),
            )
        huge = Path(work) / "huge.yaml"
        write_manifest(huge, 50)
        started = time.perf_counter()
        try:
            load_manifest(huge)
            outcome = "accepted"
        except ConfigError as exc:
            outcome = f"refused: {exc}"
        print(f"manifest, 50 MB: {time.perf_counter() - started:.3f}s, {outcome}")


if __name__ == "__main__":
    main()
