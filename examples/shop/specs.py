"""Write each shop provider's OpenAPI document to a file: ``python -m examples.shop.specs``.

The files (``examples/shop/<provider>/openapi.json``) let interlock check pacts against the
spec and diff spec versions offline, without starting a provider. They are generated from the
FastAPI apps, so the code stays the source of truth; ``make specs`` regenerates them and
``tests/openapi/test_specs_current.py`` fails when a committed file is stale.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from examples.shop import inventory, payments

SHOP = Path(__file__).resolve().parent

#: provider name -> the factory of its app
PROVIDERS: dict[str, Callable[..., FastAPI]] = {
    "payments": payments.create_app,
    "inventory": inventory.create_app,
}


def spec_path(provider: str, root: Path = SHOP) -> Path:
    return root / provider / "openapi.json"


def render(provider: str) -> str:
    """The provider's OpenAPI document as stable JSON text (keys in FastAPI's order, 2-space indent)."""
    document: dict[str, Any] = PROVIDERS[provider](provider_states=False).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_all(root: Path = SHOP) -> list[Path]:
    written = []
    for provider in PROVIDERS:
        path = spec_path(provider, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(provider), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else SHOP
    for path in write_all(root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
