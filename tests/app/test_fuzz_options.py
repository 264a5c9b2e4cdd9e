"""`interlock fuzz`'s st-run options: a bad value is one line and exit 2, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.app.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-redirects", "-1"], "Invalid value for '--max-redirects'"),
        (["--request-timeout", "0"], "a request timeout is more than 0"),
        (["--request-timeout", "soon"], "expected a duration"),
        (["--tls-verify", "no-such-ca.pem"], "no CA bundle file 'no-such-ca.pem'"),
        (["--url", "127.0.0.1:8000"], "is not an http(s) URL"),
        (["-H", "X-Tenant shop"], "a header is 'Name: value'"),
        (["--auth", "justuser"], "user:password"),
        (["--include-operation", "GET payments"], "is not an operation"),
        (["--exclude-operation", "payments"], "is not an operation"),
        # the example fuzzes payments and inventory: one URL cannot be both
        (
            ["--url", "http://127.0.0.1:9"],
            "names one provider's URL, but this run fuzzes inventory, payments",
        ),
        (
            ["--include-operation", "GET /health", "--exclude-operation", "GET /health"],
            "both included and excluded",
        ),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit) as exited:
        main(["fuzz", "--report-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert exited.value.code == 2, err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
