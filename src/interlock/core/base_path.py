"""Where a provider's API lives under its service's URL: the base path (``/v1``) joined once.

Its own module because the fuzz worker needs it before anything else: importing it must not pull
in the service runner (and with it httpx and the manifest), which costs the worker's start time.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def join_base_path(url: str, base_path: str | None) -> str:
    """``url`` + ``base_path``, unless ``url`` already ends with it (a ``base_url`` given as ``.../v1``)."""
    url = url.rstrip("/")
    base_path = (base_path or "").rstrip("/")
    if not base_path or urlsplit(url).path.endswith(base_path):
        return url
    return url + base_path
