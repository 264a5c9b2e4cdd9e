"""Shared helpers for the spec-check and spec-diff tests: real pact and spec files in tmp dirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.app.test_gate import payments_manifest as gate_manifest
from tests.helpers import REPO

PACTS = REPO / "contracts" / "pacts"
SPECS = REPO / "tests" / "fixtures" / "specs"
PAYMENTS_SPEC = REPO / "examples" / "shop" / "payments" / "openapi.json"
INVENTORY_SPEC = REPO / "examples" / "shop" / "inventory" / "openapi.json"


def payments_manifest(
    tmp_path: Path,
    spec: Path | str = PAYMENTS_SPEC,
    pacts: Path = PACTS / "checkout-payments.json",
) -> Path:
    """A manifest with payments as the provider of checkout, its spec at ``spec``."""
    return gate_manifest(tmp_path, openapi=spec, pacts=pacts)


def write_pact(
    path: Path, interactions: list[dict[str, Any]], consumer: str = "shop", provider: str = "items"
) -> Path:
    """A V4 pact file with ``interactions`` (each: description, request, response)."""
    path.write_text(
        json.dumps(
            {
                "consumer": {"name": consumer},
                "provider": {"name": provider},
                "interactions": [{"type": "Synchronous/HTTP", "pending": False, **i} for i in interactions],
                "metadata": {"pactSpecification": {"version": "4.0"}},
            },
            indent=2,
        )
    )
    return path


def body(content: Any) -> dict[str, Any]:
    return {"content": content, "contentType": "application/json", "encoded": False}


def write_spec(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(json.dumps(spec, indent=2))
    return path
