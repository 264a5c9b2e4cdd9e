"""Plain `st run` against `interlock fuzz` on real third-party apps: failures and wall time.

For each app (httpbin, kinto; benchmarks/realworld/<app>/), in each round, both tools test a
fresh instance of the app with the same budget and seed (`--examples` per operation, `--seed`,
all checks, one worker, all four phases, no example database):

- st: the script a team would write: start the app with the manifest's `run:` command, wait for
  its `health:`, `st run <url><openapi> -c all -n N --seed S -w 1 --phases
  examples,coverage,fuzzing,stateful --generation-database none --report junit`, stop the app.
- interlock: `interlock fuzz --manifest <app>/interlock.yaml --max-examples N --seed S`
  (interlock starts the app itself from `run:`), with a time budget that never cuts it short.

The order alternates between rounds. Then failures are compared by (operation, code) - in both,
only st, only interlock, with how many rounds each tool found each one (`--rounds N` shows which
differences flip between runs: generation noise) - every interlock own-check finding (IL1xx) is
listed, and the wall-time ratio interlock/st is printed per app and overall.

Nothing may leave loopback (httpbin redirects anywhere it is asked to): the measurement runs in
a private network and PID namespace (`unshare --net --pid`, loopback up), where every process it
started ends with it. Where the machine cannot do that, the script says so and refuses, unless
`--allow-network`.

Until interlock accepts the final manifests (a provider-only integration; kinto's `base_path:`),
`--mode auto` falls back to what works on the current checkout and says so: `consumer:` set to the
provider and, for a service with a base path, the app started by this script and given to
interlock as `base_url: http://127.0.0.1:PORT/v1`.

    .venv/bin/python benchmarks/realworld/run.py [httpbin kinto] [--rounds 3] [--examples 20]
        [--seed 1] [--apps-dir /work/apps-realworld] [--work-dir DIR] [--mode auto|run|base-url]

Its parsing and comparison are unit-tested in tests/benchmarks/realworld/; the run itself takes
minutes and is not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402 - after the path that makes the benchmark importable

from benchmarks.realworld import setup_apps  # noqa: E402
from benchmarks.realworld.compare import AppComparison, Round, render  # noqa: E402
from benchmarks.realworld.reports import ToolRun, parse_interlock_verdict, parse_st_junit  # noqa: E402

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
NETNS_ENV = "REALWORLD_IN_NETNS"
PHASES = "examples,coverage,fuzzing,stateful"
_UNSHARE = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]


@dataclass(frozen=True)
class AppSpec:
    """The one service an app's manifest starts, as this script needs it."""

    name: str
    manifest: Path
    service: str
    integration: dict[str, Any]
    run: str
    health: str
    openapi: str
    base_path: str


@dataclass(frozen=True)
class Settings:
    examples: int
    seed: int
    timeout_s: float
    apps_dir: Path
    mode: str
    #: A suites directory for interlock (a diagnostic: st gets no such settings); None: none.
    suites: Path | None = None


class RunFailed(Exception):
    """An app did not start, or a tool could not be run at all."""


def load_app(name: str) -> AppSpec:
    manifest = HERE / name / "interlock.yaml"
    data = yaml.safe_load(manifest.read_text())
    (service, spec), *_ = data["services"].items()
    return AppSpec(
        name=name,
        manifest=manifest,
        service=service,
        integration=data["integrations"][0],
        run=spec["run"],
        health=spec.get("health", "/health"),
        openapi=spec["openapi"],
        base_path=str(spec.get("base_path", "")).rstrip("/"),
    )


# --- the network --------------------------------------------------------------------------------


def private_network_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run([*_UNSHARE, "sh", "-c", "ip link set lo up"], capture_output=True)
    return probe.returncode == 0


def reexec_in_private_network() -> int:
    """Run this script again inside a fresh network and PID namespace, loopback up."""
    command = [*_UNSHARE, "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable, *sys.argv]
    return subprocess.run(command, env={**os.environ, NETNS_ENV: "1"}).returncode


def interfaces() -> list[str]:
    """This network namespace's interfaces (netlink, not /sys, which shows the mount's namespace)."""
    listing = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True)
    return sorted(line.split(":")[1].strip().split("@")[0] for line in listing.stdout.splitlines())


# --- starting an app and the tools ----------------------------------------------------------------


def app_env(app: AppSpec, settings: Settings) -> dict[str, str]:
    """The environment a user has after activating the app's venv."""
    venv = settings.apps_dir / app.name
    return {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(venv)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StartedApp:
    """The app started from its manifest's `run:` command, as a user's script would."""

    def __init__(self, app: AppSpec, settings: Settings, cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = shlex.split(app.run.replace("{port}", str(self.port)))
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=app_env(app, settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_healthy(self.url + app.health, self.process, timeout_s=60)
        except RunFailed:
            self.stop()
            raise

    def stop(self) -> None:
        stop_group(self.process)


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RunFailed(f"the app exited ({process.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RunFailed(f"{url} did not answer 2xx within {timeout_s:.0f}s")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL what is left after 10 s."""
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def run_bounded(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout_s: float
) -> int | None:
    """Run a tool to its end or its timeout (then its whole process group is killed: None)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stop_group(process)
            return None


# --- one round of each tool ---------------------------------------------------------------------


def fresh_copy(app: AppSpec, work: Path) -> Path:
    """The app's directory (manifest, config) copied to ``work``, so runs leave the repo clean."""
    shutil.copytree(app.manifest.parent, work, ignore=shutil.ignore_patterns("requirements.*", "__pycache__"))
    return work


def run_st(app: AppSpec, settings: Settings, work: Path) -> tuple[float, ToolRun, int | None]:
    cwd = fresh_copy(app, work)
    junit = work / "st-junit.xml"
    started = time.perf_counter()  # from the app's start to its stop, as for interlock
    service = StartedApp(app, settings, cwd, work / "app.log")
    try:
        command = [
            str(BIN / "st"),
            "run",
            service.url + app.openapi,
            "--checks",
            "all",
            "--max-examples",
            str(settings.examples),
            "--seed",
            str(settings.seed),
            "--workers",
            "1",
            "--phases",
            PHASES,
            "--generation-database",
            "none",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
        ]
        exit_code = run_bounded(
            command, cwd=cwd, env=dict(os.environ), log=work / "st.log", timeout_s=settings.timeout_s
        )
    finally:
        service.stop()
    elapsed = time.perf_counter() - started
    record(work, elapsed, exit_code)
    return elapsed, read_st(work), exit_code


def record(work: Path, seconds: float, exit_code: int | None) -> None:
    """Keep a tool run's wall time and exit code next to its reports (for --reread)."""
    (work / "measured.json").write_text(json.dumps({"seconds": seconds, "exit": exit_code}))


def read_st(work: Path) -> ToolRun:
    junit = work / "st-junit.xml"
    if not junit.exists():
        exit_code = json.loads((work / "measured.json").read_text())["exit"]
        return ToolRun(errors=[f"no JUnit report (exit {exit_code}); see {work / 'st.log'}"])
    return parse_st_junit(junit)


def run_interlock(
    app: AppSpec, settings: Settings, work: Path, mode: str
) -> tuple[float, ToolRun, int | None]:
    cwd = fresh_copy(app, work)
    manifest = cwd / "interlock.yaml"
    started = time.perf_counter()
    service = StartedApp(app, settings, cwd, work / "app.log") if mode == "base-url" else None
    try:
        if mode != "run":
            write_fallback_manifest(app, manifest, service.url if service else None)
        command = [
            str(BIN / "interlock"),
            "fuzz",
            "--manifest",
            str(manifest),
            "--report-dir",
            str(work / "reports"),
            "--max-examples",
            str(settings.examples),
            "--seed",
            str(settings.seed),
            "--time-budget",
            f"{int(settings.timeout_s)}s",
            "--plain",
            *(["--suites", str(settings.suites.resolve())] if settings.suites else []),
        ]
        log = work / "interlock.log"
        exit_code = run_bounded(
            command, cwd=cwd, env=app_env(app, settings), log=log, timeout_s=settings.timeout_s + 90
        )
    finally:
        if service is not None:
            service.stop()
    elapsed = time.perf_counter() - started
    record(work, elapsed, exit_code)
    return elapsed, read_interlock(work), exit_code


def read_interlock(work: Path) -> ToolRun:
    verdict = work / "reports" / "latest" / "verdict.json"
    if not verdict.exists():
        exit_code = json.loads((work / "measured.json").read_text())["exit"]
        tail = " | ".join((work / "interlock.log").read_text(errors="replace").splitlines()[-3:])
        return ToolRun(errors=[f"no verdict.json (exit {exit_code}): {tail}"])
    return parse_interlock_verdict(verdict)


def reread(work_dir: Path, names: list[str]) -> list[AppComparison]:
    """The comparison of an earlier run, from the reports it left in ``work_dir``."""
    results = []
    for name in names:
        comparison = AppComparison(name)
        rounds = sorted((work_dir / name).glob("round*"), key=lambda p: int(p.name.removeprefix("round")))
        for base in rounds:
            if not (
                (base / "st" / "measured.json").exists() and (base / "interlock" / "measured.json").exists()
            ):
                continue
            st, ours = (json.loads((base / t / "measured.json").read_text()) for t in ("st", "interlock"))
            comparison.rounds.append(
                Round(
                    read_st(base / "st"),
                    read_interlock(base / "interlock"),
                    st["seconds"],
                    ours["seconds"],
                    st["exit"],
                    ours["exit"],
                )
            )
        if comparison.rounds:
            results.append(comparison)
    return results


# --- the final manifest, or what works until interlock accepts it ----------------------------------


def manifest_problem(path: Path) -> str | None:
    """Why this checkout of interlock rejects the manifest; None when it accepts it."""
    from interlock.core.errors import ConfigError
    from interlock.core.manifest import load_manifest

    try:
        load_manifest(path)
    except ConfigError as exc:
        return str(exc)
    return None


def choose_mode(app: AppSpec, requested: str) -> tuple[str, str]:
    """(mode, why): "run" (the manifest as written), "run-compat" or "base-url" (fallbacks)."""
    problem = manifest_problem(app.manifest)
    if requested == "run":
        if problem:
            raise RunFailed(f"{app.name}: --mode run, but interlock rejects {app.manifest}: {problem}")
        return "run", "the manifest as written"
    if requested == "base-url":
        return "base-url", "--mode base-url"
    if problem is None:
        return "run", "interlock accepts the manifest as written"
    fallback = "base-url" if app.base_path else "run-compat"
    how = (
        f"this script starts the app; interlock gets base_url http://127.0.0.1:PORT{app.base_path}"
        if fallback == "base-url"
        else "the same run: command"
    )
    return (
        fallback,
        f"FALLBACK: interlock rejects the manifest ({problem}); {how}; consumer set to the provider",
    )


def write_fallback_manifest(app: AppSpec, path: Path, url: str | None) -> None:
    """The manifest in the form the current interlock accepts (consumer: the provider itself)."""
    data = yaml.safe_load(path.read_text())
    service = data["services"][app.service]
    service.pop("base_path", None)
    if url is not None:
        service.pop("run", None)
        service["base_url"] = url + app.base_path
        for key in ("health", "openapi"):
            if key in service and service[key].startswith(app.base_path + "/"):
                service[key] = service[key][len(app.base_path) :]
    for integration in data["integrations"]:
        integration.setdefault("consumer", integration["provider"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


# --- main ---------------------------------------------------------------------------------------


def children_cpu_s() -> float:
    """CPU seconds of every finished child so far, the app's included (a tool's run waits for
    the app it started, and this script for the one it started for st): unlike wall time, a
    busy machine does not inflate it, so it shows where the time goes when rounds are noisy."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(apps: list[AppSpec], settings: Settings, rounds: int, work_dir: Path) -> list[AppComparison]:
    results = []
    for app in apps:
        mode, why = choose_mode(app, settings.mode)
        print(f"{app.name}: interlock mode {mode} ({why})", flush=True)
        comparison = AppComparison(app.name)
        for index in range(rounds):
            base = work_dir / app.name / f"round{index + 1}"
            order = ["st", "interlock"] if index % 2 == 0 else ["interlock", "st"]
            measured: dict[str, tuple[float, ToolRun, int | None]] = {}
            for tool in order:
                cpu_before = children_cpu_s()
                if tool == "st":
                    measured[tool] = run_st(app, settings, base / "st")
                else:
                    measured[tool] = run_interlock(app, settings, base / "interlock", mode)
                seconds, found, exit_code = measured[tool]
                cpu = children_cpu_s() - cpu_before
                print(
                    f"  {app.name} round {index + 1} {tool:9s} {seconds:7.1f}s (cpu {cpu:6.1f}s) exit {exit_code}"
                    f"  {len(found.keys)} failures, {len(found.errors)} errors",
                    flush=True,
                )
            comparison.rounds.append(
                Round(
                    st=measured["st"][1],
                    interlock=measured["interlock"][1],
                    st_seconds=measured["st"][0],
                    interlock_seconds=measured["interlock"][0],
                    st_exit=measured["st"][2],
                    interlock_exit=measured["interlock"][2],
                )
            )
        results.append(comparison)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", metavar="APP", help=f"default: {' '.join(setup_apps.APPS)}")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--examples", type=int, default=20, help="examples per operation (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per tool run (default 1200)")
    parser.add_argument("--apps-dir", type=Path, default=setup_apps.DEFAULT_APPS_DIR)
    parser.add_argument("--work-dir", type=Path, help="default: /tmp/interlock-realworld/<time>")
    parser.add_argument("--mode", choices=("auto", "run", "base-url"), default="auto")
    parser.add_argument("--allow-network", action="store_true", help="run without a private network")
    parser.add_argument("--skip-setup", action="store_true", help="do not check or install the app venvs")
    parser.add_argument(
        "--suites", type=Path, help="interlock's suites directory (a diagnostic; default: none)"
    )
    parser.add_argument(
        "--reread", type=Path, metavar="WORK_DIR", help="compare an earlier run's reports again"
    )
    args = parser.parse_args()
    names = args.apps or list(setup_apps.APPS)
    unknown = sorted(set(names) - set(setup_apps.APPS))
    if unknown:
        parser.error(f"unknown app(s) {', '.join(unknown)}; known: {', '.join(setup_apps.APPS)}")
    if args.reread:
        print(render(reread(args.reread, names)))
        return 0

    if os.environ.get(NETNS_ENV) != "1":
        if not args.skip_setup:
            for name in names:  # needs the package index: before the network goes
                setup_apps.install(name, args.apps_dir)
        if private_network_available():
            return reexec_in_private_network()
        if not args.allow_network:
            print(
                "cannot create a private network namespace here (unshare --net --pid and ip are needed,"
                " usually as root); refusing to fuzz apps that may redirect anywhere. Pass"
                " --allow-network to run on the host's network anyway.",
                file=sys.stderr,
            )
            return 2
        print("WARNING: no private network namespace: the apps' traffic is not confined to loopback")
    else:
        present = interfaces()
        print(f"network: private namespace, interfaces {', '.join(present)}")
        if present != ["lo"] and not args.allow_network:
            print("the namespace has interfaces other than loopback: refusing", file=sys.stderr)
            return 2

    work_dir = args.work_dir or Path("/tmp/interlock-realworld") / datetime.now().strftime("%Y%m%d-%H%M%S")
    work_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(args.examples, args.seed, args.timeout, args.apps_dir, args.mode, args.suites)
    print(
        f"budget: {args.examples} examples per operation, seed {args.seed}, all checks, 1 worker,"
        f" phases {PHASES}; work dir {work_dir}",
        flush=True,
    )
    try:
        results = measure([load_app(n) for n in names], settings, args.rounds, work_dir)
    except RunFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    text = render(results)
    (work_dir / "comparison.txt").write_text(text + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
