"""The one translator from pydantic's errors to ``file:line: message``, and the Strict base."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from interlock.core.config import Strict, did_you_mean, validate_model
from interlock.core.durations import Duration
from interlock.core.errors import ConfigError
from interlock.core.yamlfile import YamlDocument, parse_yaml

FILE = Path("settings.yaml")


class Retry(Strict):
    attempts: int = Field(ge=1, le=10)
    backoff: Duration = 0.1


class Endpoint(Strict):
    path: str
    body: object = Field(default=None, alias="json")
    retry: Retry | None = None


class Settings(Strict):
    name: str
    endpoints: list[Endpoint] = Field(default_factory=list)
    services: dict[str, Endpoint] = Field(default_factory=dict)
    origin: Path = Field(default=Path("."), exclude=True)


def error_for(text: str, model: type[Strict] = Settings) -> ConfigError:
    doc = parse_yaml(text, FILE)
    with pytest.raises(ConfigError) as caught:
        validate_model(model, doc.data, doc)
    assert "\n" not in str(caught.value)
    return caught.value


def test_valid_data_gives_the_model() -> None:
    doc = parse_yaml(
        "name: a\nendpoints:\n  - {path: /x, json: {k: 1}, retry: {attempts: 2, backoff: 1m}}\n", FILE
    )
    settings = validate_model(Settings, doc.data, doc)
    assert settings.endpoints[0].body == {"k": 1}
    assert settings.endpoints[0].retry == Retry(attempts=2, backoff=60.0)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: a\nnmae: b\n", 2, "unknown key 'nmae' (did you mean 'name'?)"),
        (
            "name: a\nendpoints:\n  - path: /x\n    retry: {attempts: 1, bakoff: 2s}\n",
            4,
            "unknown key 'bakoff' (did you mean 'backoff'?) in endpoints.0.retry",
        ),
        (
            "name: a\nservices:\n  pay:\n    path: /p\n    jsn: {}\n",
            5,
            "unknown key 'jsn' (did you mean 'json'?) in services.pay",
        ),
        ("name: a\norign: x\n", 2, "unknown key 'orign'"),
        ("endpoints: []\n", 1, "missing required key 'name'"),
        ("name: a\nendpoints:\n  - {json: 1}\n", 3, "missing required key 'path' in endpoints.0"),
        (
            "name: a\nendpoints:\n  - path: /x\n    retry: {attempts: 11}\n",
            4,
            "endpoints.0.retry.attempts: Input should be less than or equal to 10 (got 11)",
        ),
        (
            "name: a\nendpoints:\n  - path: /x\n    retry: {attempts: 1, backoff: soon}\n",
            4,
            "endpoints.0.retry.backoff: expected a duration such as 30s, 2m, 500ms or 1h"
            " (a bare number is seconds), got 'soon'",
        ),
    ],
)
def test_each_problem_is_one_line_at_its_key(text: str, line: int, message: str) -> None:
    error = error_for(text)
    assert str(error) == f"{FILE}:{line}: {message}"


def test_excluded_fields_are_not_suggested() -> None:
    assert "did you mean" not in str(error_for("name: a\norign: x\n"))


def test_a_typo_does_not_count_the_key_it_hides_as_another_problem() -> None:
    error = error_for("nme: a\n")
    assert str(error) == f"{FILE}:1: unknown key 'nme' (did you mean 'name'?)"


def test_further_problems_are_counted() -> None:
    error = error_for("name: [1]\nendpoints:\n  - {json: 1}\n  - {json: 2}\n")
    assert str(error).endswith("(and 2 more problems)"), str(error)
    assert "(and 1 more problem)" in str(error_for("name: a\nnmae: b\nendpoints: 3\n"))


def test_prefix_places_a_block_inside_a_bigger_file() -> None:
    doc = parse_yaml("integrations:\n  - name: x\n    retry:\n      attempts: 0\n", FILE)
    with pytest.raises(ConfigError) as caught:
        validate_model(Retry, doc.data["integrations"][0]["retry"], doc, ("integrations", 0, "retry"))
    assert str(caught.value).startswith(f"{FILE}:4: integrations.0.retry.attempts: ")


def test_a_document_without_lines_names_the_file_only() -> None:
    data = {"name": "a", "endpoints": [{"path": "/x", "colour": 1}]}
    with pytest.raises(ConfigError) as caught:
        validate_model(Settings, data, YamlDocument(Path("baseline.json"), data))
    assert str(caught.value) == "baseline.json: unknown key 'colour' in endpoints.0"


def test_strict_models_refuse_unknown_keys_and_changes() -> None:
    with pytest.raises(ValidationError):
        Retry.model_validate({"attempts": 1, "other": 2})
    retry = Retry(attempts=1)
    with pytest.raises(ValidationError):
        retry.attempts = 2  # type: ignore[misc]
    assert Endpoint(path="/x", body=1) == Endpoint.model_validate({"path": "/x", "json": 1})


def test_did_you_mean() -> None:
    assert did_you_mean("stats", ["states", "health"]) == " (did you mean 'states'?)"
    assert did_you_mean("zzz", ["states"]) == ""


def test_a_config_error_quoting_a_huge_or_multi_line_value_is_still_one_short_line() -> None:
    from interlock.core.errors import MAX_MESSAGE_CHARS, ConfigError

    error = ConfigError("unknown key '" + "x" * 5_000_000 + "'\nsecond line", "m.yaml", 3)
    text = str(error)
    assert text.startswith("m.yaml:3: unknown key 'xxx") and text.endswith("…")
    assert "\n" not in text and len(text) <= len("m.yaml:3: ") + MAX_MESSAGE_CHARS
