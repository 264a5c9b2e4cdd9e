"""The app venvs' pins, and the check that decides whether setup can skip an app."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

from benchmarks.realworld import setup_apps

THIS_VENV = Path(sys.prefix)


def test_every_app_pins_its_own_package_and_the_servers_it_is_started_with() -> None:
    assert {"httpbin", "flasgger", "gunicorn"} <= set(setup_apps.pins("httpbin"))
    assert {"kinto", "waitress"} <= set(setup_apps.pins("kinto"))
    assert all(v and v[0].isdigit() for app in setup_apps.APPS for v in setup_apps.pins(app).values())


def test_names_are_normalised_as_pip_does() -> None:
    assert setup_apps.normalise("Flask_Cors") == setup_apps.normalise("flask.cors") == "flask-cors"


def test_a_venv_holding_the_pinned_versions_needs_nothing() -> None:
    wanted = {"pyyaml": version("PyYAML"), "pydantic": version("pydantic")}

    assert setup_apps.missing_pins(THIS_VENV, wanted) == {}


def test_a_different_or_absent_version_is_reported(tmp_path: Path) -> None:
    wanted = {"pyyaml": "0.0.1", "no-such-package-here": "1.0"}

    assert setup_apps.missing_pins(THIS_VENV, wanted) == {
        "pyyaml": version("PyYAML"),
        "no-such-package-here": "absent",
    }
    assert setup_apps.missing_pins(tmp_path / "no-venv", {"x": "1"}) == {"x": "absent"}
