"""Read pacts for verification from a broker over its HAL API (httpx).

The Pact core fetches and verifies them itself (``Verifier.broker_source``); interlock fetches
the same list to name the interactions in its findings and reports, exactly as it does for
local pact files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from interlock.core.errors import RunIncomplete
from interlock.history.broker.config import BrokerConfig

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BrokerPact:
    content: dict[str, Any]
    pending: bool
    description: str


def selectors(consumer: str, provider_branch: str | None) -> list[dict[str, Any]]:
    """The consumer version selectors interlock verifies: main, the matching branch, and what is deployed."""
    chosen: list[dict[str, Any]] = [
        {"consumer": consumer, "main_branch": True},
        {"consumer": consumer, "deployed_or_released": True},
    ]
    if provider_branch:
        chosen.insert(1, {"consumer": consumer, "matching_branch": True})
    return chosen


def _camel(selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_"))): v
        for k, v in selector.items()
    }


def pacts_for_verification(
    config: BrokerConfig, provider: str, chosen: list[dict[str, Any]], provider_branch: str | None
) -> list[BrokerPact]:
    auth: httpx.Auth | None = (
        httpx.BasicAuth(config.username, config.password or "") if config.username else None
    )
    headers = {"Accept": "application/hal+json"}
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    try:
        with httpx.Client(auth=auth, headers=headers, timeout=TIMEOUT_S) as client:
            index = _ok(client.get(config.url + "/"))
            template = index["_links"]["pb:provider-pacts-for-verification"]["href"]
            body: dict[str, Any] = {
                "consumerVersionSelectors": [_camel(s) for s in chosen],
                "includePendingStatus": True,
            }
            if provider_branch:
                body["providerVersionBranch"] = provider_branch
            listed = _ok(client.post(template.replace("{provider}", provider), json=body))
            found = []
            for entry in (listed.get("_embedded") or {}).get("pacts") or []:
                content = _ok(client.get(entry["_links"]["self"]["href"]))
                content.pop("_links", None)
                found.append(
                    BrokerPact(
                        content,
                        bool((entry.get("verificationProperties") or {}).get("pending")),
                        str(entry.get("shortDescription", "")),
                    )
                )
            return found
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
        raise RunIncomplete(
            f"cannot read pacts for verification from the broker {config.url}: {type(exc).__name__}: {exc}"
        ) from None


def _ok(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"{response.request.url} did not answer a JSON object")
    return data
