"""Message pacts: produce each message from the provider's own code, for the Pact core to check.

The manifest maps each message description to ``module:function`` (the provider's producer).
The Pact core asks for a message by POSTing ``{"description": ...}`` to the worker's message
endpoint; :class:`MessageProducers` calls the function and answers with the body, its content
type and the ``Pact-Message-Metadata`` header (base64 JSON), the protocol pact-python's own
message relay speaks. A function returns the body (any JSON value, str or bytes), or a pact
``Message`` dict: ``{"contents": ..., "metadata": {...}, "content_type": ...}``.
"""

from __future__ import annotations

import base64
import importlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.core.errors import ConfigError
from interlock.pacts.pactfile import PactFile

MESSAGE_PATH = "/_interlock/message"
MESSAGE_KINDS = ("Asynchronous/Messages", "Synchronous/Messages")


@dataclass(frozen=True)
class ProducedMessage:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def load_handler(spec: str, search_path: list[str]) -> Callable[..., Any]:
    """Import ``module:function``, with ``search_path`` (the manifest's directory) importable."""
    module_name, _, function = spec.partition(":")
    for entry in reversed(search_path):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    module = importlib.import_module(module_name)
    handler = getattr(module, function, None)
    if not callable(handler):
        raise AttributeError(f"{module_name} has no function {function!r}")
    found: Callable[..., Any] = handler
    return found


def check_handlers(
    messages: Mapping[str, str],
    pacts: list[PactFile],
    base_dir: Path,
    manifest: Path,
    line_of: Callable[[str], int | None],
) -> None:
    """Bad input before anything starts: every handler imports, every message in the pacts has one."""
    for description, spec in messages.items():
        try:
            load_handler(spec, [str(base_dir)])
        except Exception as exc:
            raise ConfigError(
                f"message '{description}': cannot load handler {spec}: {type(exc).__name__}: {exc}",
                manifest,
                line_of(description),
            ) from None
    for pact in pacts:
        for interaction in pact.interactions:
            if interaction.kind in MESSAGE_KINDS and interaction.description not in messages:
                known = ", ".join(f"'{d}'" for d in messages) or "none"
                raise ConfigError(
                    f"{pact.path.name} has the message '{interaction.description}' but the integration"
                    f" declares no handler for it under 'messages:' (declared: {known})",
                    manifest,
                    line_of(""),
                )


class MessageProducers:
    """Calls the declared producer for each requested message; never raises (errors are 500s)."""

    def __init__(self, messages: Mapping[str, str], search_path: list[str]) -> None:
        self.messages = dict(messages)
        self.search_path = search_path
        #: Producers that could not produce: reported on their interactions instead of a body mismatch.
        self.failures: list[dict[str, str]] = []

    def produce(self, request: dict[str, Any]) -> ProducedMessage:
        description = str(request.get("description") or "")
        spec = self.messages.get(description)
        if spec is None:
            return self._error(
                description,
                f"no handler for message '{description}' in the manifest's"
                f" 'messages:' (declared: {', '.join(self.messages) or 'none'})",
            )
        try:
            produced = load_handler(spec, self.search_path)()
            return _encode(produced)
        except Exception as exc:
            return self._error(description, f"message handler {spec} raised {type(exc).__name__}: {exc}")

    def _error(self, description: str, message: str) -> ProducedMessage:
        self.failures.append({"description": description, "error": message})
        return ProducedMessage(
            500, json.dumps({"error": message}).encode(), {"Content-Type": "application/json"}
        )


def _encode(produced: Any) -> ProducedMessage:
    metadata: dict[str, Any] = {}
    content_type = None
    if isinstance(produced, dict) and "contents" in produced:
        metadata = dict(produced.get("metadata") or {})
        content_type = produced.get("content_type")
        produced = produced["contents"]
    if isinstance(produced, bytes):
        body, content_type = produced, content_type or "application/octet-stream"
    elif isinstance(produced, str) and content_type and "json" not in content_type:
        body = produced.encode()
    else:
        body, content_type = json.dumps(produced).encode(), content_type or "application/json"
    metadata.setdefault("contentType", content_type)
    headers = {
        "Content-Type": content_type,
        "Pact-Message-Metadata": base64.b64encode(json.dumps(metadata).encode()).decode(),
    }
    return ProducedMessage(200, body, headers)
