"""Install the real-world apps, each into its own venv, from its pinned requirements.

Each app under benchmarks/realworld/<app>/ has `requirements.in` (what a user would ask for) and
`requirements.txt` (every package pinned, compiled from it with `uv pip compile`). The venv goes to
<apps-dir>/<app> (default /work/apps-realworld, or $REALWORLD_APPS): never the project's venv, so
an app's dependencies cannot change what interlock or schemathesis run with.

Idempotent: an app whose venv already holds every pinned version is left alone; otherwise the venv
is (re)created and installed. uv installs when the project venv has it (seconds), pip otherwise.

    .venv/bin/python benchmarks/realworld/setup_apps.py [--apps-dir DIR] [httpbin kinto]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = ("httpbin", "kinto")
DEFAULT_APPS_DIR = Path(os.environ.get("REALWORLD_APPS", "/work/apps-realworld"))
PYTHON = "python3.11"

# Asks the venv's interpreter which versions it holds: one "name==version" per line.
_INSTALLED = (
    "import importlib.metadata as m\n"
    "for d in m.distributions():\n"
    "    print(f\"{d.metadata['Name']}=={d.version}\")\n"
)


def pins(app: str) -> dict[str, str]:
    """The app's pinned requirements: normalised name -> version."""
    found = {}
    for line in (HERE / app / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[normalise(name)] = version.strip()
    return found


def normalise(name: str) -> str:
    """PEP 503 name normalisation: `Flask_Cors` and `flask-cors` are one package."""
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


def missing_pins(venv: Path, wanted: dict[str, str]) -> dict[str, str]:
    """Pins the venv does not satisfy: name -> what is installed ("absent" when nothing)."""
    python = venv / "bin" / "python"
    if not python.exists():
        return dict.fromkeys(wanted, "absent")
    listing = subprocess.run([str(python), "-c", _INSTALLED], capture_output=True, text=True, check=True)
    installed = {}
    for line in listing.stdout.splitlines():
        name, _, version = line.partition("==")
        installed[normalise(name)] = version
    return {
        name: installed.get(name, "absent")
        for name, version in wanted.items()
        if installed.get(name) != version
    }


def install(app: str, apps_dir: Path) -> Path:
    """Make <apps_dir>/<app> a venv with exactly the app's pins; return its path."""
    venv = apps_dir / app
    wanted = pins(app)
    if not missing_pins(venv, wanted):
        print(f"{app}: {venv} already has the {len(wanted)} pinned packages")
        return venv
    print(f"{app}: installing {len(wanted)} pinned packages into {venv}", flush=True)
    if venv.exists():
        shutil.rmtree(venv)
    apps_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
    requirements = str(HERE / app / "requirements.txt")
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        command = [
            str(uv),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            requirements,
        ]
    else:
        command = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", requirements]
    subprocess.run(command, check=True)
    still = missing_pins(venv, wanted)
    if still:
        raise SystemExit(f"{app}: after installing, these pins are not met: {still}")
    return venv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", metavar="APP", help=f"default: all of {', '.join(APPS)}")
    parser.add_argument("--apps-dir", type=Path, default=DEFAULT_APPS_DIR)
    args = parser.parse_args()
    unknown = sorted(set(args.apps) - set(APPS))
    if unknown:
        parser.error(f"unknown app(s) {', '.join(unknown)}; known: {', '.join(APPS)}")
    for app in args.apps or APPS:
        install(app, args.apps_dir)


if __name__ == "__main__":
    main()
