"""A service's API URL: the service URL plus its base path, never the base path twice."""

from __future__ import annotations

from interlock.core.base_path import join_base_path


def test_join_base_path_adds_the_base_path_once() -> None:
    assert join_base_path("http://127.0.0.1:8000", "/v1") == "http://127.0.0.1:8000/v1"
    assert join_base_path("http://127.0.0.1:8000/", None) == "http://127.0.0.1:8000"
    assert (
        join_base_path("http://127.0.0.1:8000/v1", "/v1") == "http://127.0.0.1:8000/v1"
    )  # a base_url with it
    assert join_base_path("http://127.0.0.1:8000/api", "/v1") == "http://127.0.0.1:8000/api/v1"
