"""The one rule for what an ``openapi:`` entry names (docs/contracts-spec.md)."""

from __future__ import annotations

from pathlib import Path

from interlock.core.spec_location import SpecKind, SpecLocation, locate_spec


def test_urls_are_urls(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:8000/openapi.json", "https://api.example.com/v1/spec.yaml"):
        assert locate_spec(url, tmp_path) == SpecLocation(SpecKind.URL, url=url)


def test_an_absolute_path_to_an_existing_file_is_that_file(tmp_path: Path) -> None:
    spec = tmp_path / "x" / "spec.json"
    spec.parent.mkdir()
    spec.write_text("{}")
    assert locate_spec(str(spec), Path("/somewhere/else")) == SpecLocation(SpecKind.FILE, file=spec)


def test_a_relative_path_is_a_file_next_to_the_manifest_even_when_missing(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text("openapi: 3.0.3\n")
    assert locate_spec("specs/a.yaml", tmp_path) == SpecLocation(
        SpecKind.FILE, file=tmp_path / "specs/a.yaml"
    )
    missing = locate_spec("specs/missing.yaml", tmp_path)
    assert missing.kind == SpecKind.FILE and missing.file == tmp_path / "specs/missing.yaml"


def test_a_slash_path_that_names_no_file_is_a_url_path(tmp_path: Path) -> None:
    for entry in ("/openapi.json", "/v1/__api__", str(tmp_path / "gone.json")):
        assert locate_spec(entry, tmp_path) == SpecLocation(SpecKind.URL_PATH, url=entry)
