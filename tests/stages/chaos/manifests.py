"""The example manifest, rewritten for a test: absolute paths, a consumer variant, env overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.helpers import REPO


def example_manifest(
    tmp_path: Path,
    *,
    checkout_app: str | None = None,
    env: dict[str, str] | None = None,
    chaos: dict[str, Path] | None = None,
) -> Path:
    """interlock.yaml of the example, runnable from ``tmp_path``.

    ``checkout_app`` swaps checkout for a variant (``module:attr``), ``env`` overrides checkout's
    env knobs, ``chaos`` replaces the experiment files (``{}``: none).
    """
    data: dict[str, Any] = yaml.safe_load((REPO / "interlock.yaml").read_text())
    for spec in data["services"].values():
        spec.setdefault("env", {})["PYTHONPATH"] = str(REPO)
        absolute_spec_file(spec)
    checkout = data["services"]["checkout"]
    if checkout_app:
        checkout["run"] = checkout["run"].replace("examples.shop.checkout:app", checkout_app)
    checkout["env"].update(env or {})
    for integration in data["integrations"]:
        for key in ("pacts", "chaos", "load"):
            value = integration.get(key)
            if isinstance(value, list):
                integration[key] = [str(REPO / v) for v in value]
            elif value is not None:
                integration[key] = str(REPO / value)
        if chaos is not None:  # replaces the experiment files; an empty mapping drops them all
            integration.pop("chaos", None)
            if integration["name"] in chaos:
                integration["chaos"] = str(chaos[integration["name"]])
    path = tmp_path / "interlock.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def absolute_spec_file(service: dict[str, Any]) -> None:
    """A service's ``openapi:`` file (not a URL path) made absolute, for a manifest outside the repo."""
    spec = service.get("openapi")
    if spec and not spec.startswith("/"):
        service["openapi"] = str(REPO / spec)


def consumer_variant_base() -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """What a test of checkout variants starts from: the example's checkout service, its
    ``CHECKOUT_*`` knobs, and the providers the variants call (the example payments, and an
    inventory that always has stock), runnable from outside the repo."""
    example: dict[str, Any] = yaml.safe_load((REPO / "interlock.yaml").read_text())
    checkout = example["services"]["checkout"]
    knobs = {k: v for k, v in checkout["env"].items() if k.startswith("CHECKOUT_")}
    absolute_spec_file(example["services"]["payments"])
    services: dict[str, Any] = {
        "payments": {**example["services"]["payments"], "env": {"PYTHONPATH": str(REPO)}},
        "inventory": {
            "run": "python -m uvicorn tests.fixtures.checkout_variants:well_stocked_inventory"
            " --host 127.0.0.1 --port {port}",
            "env": {"PYTHONPATH": str(REPO)},
        },
    }
    return checkout, knobs, services
