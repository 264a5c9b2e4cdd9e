"""``interlock contracts``: the contracts stage on its own, and its offline spec subcommands
``check-spec`` and ``diff``."""

from __future__ import annotations

from pathlib import Path

import click

from interlock import __version__
from interlock.app.commands import history as history_cli
from interlock.app.reporting import (
    append_step_summary,
    judge_integration,
    new_verdict,
    show_verdict,
    write_run_reports,
)
from interlock.app.run_options import CommandOptions, Runner, RunOptions, select_integrations
from interlock.core.console import Output
from interlock.core.errors import ExitCode, UsageError
from interlock.core.manifest import Manifest, load_manifest
from interlock.core.reports import new_run_id
from interlock.core.verdict import Severity
from interlock.openapi import conformance, impact, report
from interlock.openapi.diff import diff_specs
from interlock.openapi.document import SpecDocument, load_spec, parse_spec
from interlock.openapi.source import needs_file_error, read_at_git_ref, spec_source
from interlock.pacts.pactfile import load_pact

_MANIFEST = click.option(
    "--manifest",
    "-m",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("interlock.yaml"),
    show_default=True,
    help="The manifest: providers' openapi: specs and the integrations' pacts.",
)
_PLAIN = click.option(
    "--plain/--rich",
    "plain",
    default=None,
    help="Plain log lines or rich terminal output (default: rich on a terminal, plain in CI).",
)


_EXIT_CODES = """\b
Exit codes:
  0  no error
  1  {one}
  2  bad input: manifest, spec or pact file, or command line
"""


@click.command("check-spec", epilog=_EXIT_CODES.format(one="an interaction does not fit the spec"))
@_MANIFEST
@click.option(
    "--only",
    multiple=True,
    metavar="INTEGRATION",
    help="Check only this integration (repeat or comma-separate for several).",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where reports/<run-id>/ and reports/latest are written.",
)
@_PLAIN
def check_spec(manifest: Path, only: tuple[str, ...], report_dir: Path, plain: bool | None) -> int:
    """Check every pact against its provider's OpenAPI spec, without running any service.

    For each interaction: the path and method exist, the parameters and request body are valid,
    the response status is declared, and the recorded response body (read with its matching
    rules) fits the declared schema. Fields the consumer reads that the spec marks optional or
    nullable are warnings. Exit 0 when no error, 1 when an interaction breaks the spec, 2 for
    bad input (including a provider whose openapi: is a URL path on a service that is not running).
    """
    loaded = load_manifest(manifest)
    integrations = select_integrations(loaded, only)
    for integration in integrations:
        conformance.preflight(loaded, integration, offline=True)
    output = Output(plain=plain)
    run_id = new_run_id()
    verdict = new_verdict(run_id, manifest, "ci", ["contracts"])
    output.info(f"interlock {__version__}: check-spec {run_id}, {len(integrations)} integration(s), offline")
    for integration in integrations:
        judge_integration(verdict, integration, [lambda i: conformance.spec_stage(loaded, i, output)], output)
    run_dir = report_dir / run_id
    write_run_reports(verdict, run_dir)
    show_verdict(verdict, run_dir, output)
    return verdict.exit_code


@click.command(
    "diff",
    epilog=_EXIT_CODES.format(
        one="a change breaks a consumer's recorded interaction (or, with --fail-on warning, any warning)"
    ),
)
@_MANIFEST
@click.option(
    "--base",
    "base",
    required=True,
    metavar="REF|FILE",
    help="The spec before the change: a git ref (the provider's spec file at that ref, via"
    " `git show REF:path`), REF:path, or a file.",
)
@click.option(
    "--head",
    "head",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The spec after the change (default: the provider's spec file in the working tree).",
)
@click.option(
    "--provider",
    default=None,
    metavar="NAME",
    help="Whose spec to diff, when the manifest has several providers with a spec file.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="error: exit 1 when a change breaks a consumer's recorded interaction; warning: also when"
    " a breaking change no consumer uses (or a risky change a consumer uses) is found.",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=f"Also write {report.JSON_FILE} and {report.MARKDOWN_FILE} into this directory (the Markdown"
    " is appended to $GITHUB_STEP_SUMMARY when set).",
)
@_PLAIN
def diff(
    manifest: Path,
    base: str,
    head: Path | None,
    provider: str | None,
    fail_on: str,
    report_dir: Path | None,
    plain: bool | None,
) -> int:
    """Classify every change between two versions of a provider's spec, judged against the pacts.

    Each change gets a rule (removed operation or status, removed or renamed response property,
    property made optional or nullable, type or format changed, enum value removed or added, new
    required request property or parameter, request constraint tightened, security added, ...).
    A breaking change that a consumer's recorded interaction depends on is an error naming the
    consumer and the interaction; one that no consumer uses is a warning.

    \b
    Examples:
      interlock contracts diff --base main
      interlock contracts diff --base v1.4.0 --provider payments --fail-on warning
      interlock contracts diff --base old.json --head new.json --report-dir reports/spec-diff
    """
    loaded = load_manifest(manifest)
    name = choose_provider(loaded, provider, head)
    source = spec_source(loaded, name)
    head_file = head or (source.file if source else None)
    if head_file is None:
        raise (
            needs_file_error(loaded, name)
            if source
            else UsageError(f"{name} declares no openapi: spec in {loaded.path.name}; give --head FILE")
        )
    head_doc = load_spec(head_file)
    base_doc, base_label = _load_base(base, source.file if source and source.file else head_file)
    pacts = [
        (load_pact(path), conformance.relative_label(path, loaded.base_dir))
        for integration in loaded.integrations
        if integration.provider == name
        for path in loaded.pact_files(integration)
    ]
    judged = impact.judge(diff_specs(base_doc, head_doc), pacts, base_doc, head_doc)
    result = report.DiffReport(
        name, base_label, conformance.relative_label(head_file, loaded.base_dir), judged
    )
    output = Output(plain=plain)
    if not pacts:
        output.warn(f"no pacts name {name} as provider: no change can be tied to a consumer")
    report.print_table(result, output.console)
    if report_dir is not None:
        for path in report.write_report(result, report_dir):
            output.info(f"report: {path}")
        append_step_summary(report_dir / report.MARKDOWN_FILE)
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    return ExitCode.GATE_FAILED if errors or (fail_on == "warning" and warnings) else ExitCode.PASSED


def choose_provider(manifest: Manifest, provider: str | None, head: Path | None) -> str:
    """The provider to diff: --provider, the owner of the --head file, or the only one with a spec file."""
    providers = sorted({i.provider for i in manifest.integrations})
    if provider is not None:
        if provider not in manifest.services:
            raise UsageError(
                f"--provider {provider}: no service of that name in {manifest.path.name}"
                f" (providers: {', '.join(providers)})"
            )
        return provider
    files = {
        p: s.file for p in providers if (s := spec_source(manifest, p)) is not None and s.file is not None
    }
    with_files = list(files)
    if head is not None:
        owner = [p for p, file in files.items() if file == head.resolve()]
        if len(owner) == 1:
            return owner[0]
    if len(with_files) == 1:
        return with_files[0]
    raise UsageError(
        "which provider's spec? give --provider NAME"
        f" (providers with a spec file: {', '.join(with_files) or 'none'})"
    )


def _load_base(base: str, spec_file: Path) -> tuple[SpecDocument, str]:
    """``--base``: a file, ``REF:path`` or a git ref (read at the provider's spec file path)."""
    as_path = Path(base)
    if as_path.is_file():
        return load_spec(as_path), base
    if ":" in base:
        ref, _, inner = base.partition(":")
        text = read_at_git_ref(ref, Path(inner) if Path(inner).is_absolute() else Path.cwd() / inner)
        return parse_spec(text, base), base
    text = read_at_git_ref(base, spec_file)
    label = f"{base}:{conformance.relative_label(spec_file, Path.cwd())}"
    return parse_spec(text, label), label


def contracts_command(common_options: CommandOptions, run: Runner, epilog: str) -> click.Command:
    """Built by cli.py with its shared options and runner, so every command behaves alike."""

    @click.group("contracts", epilog=epilog, invoke_without_command=True)
    @common_options
    @history_cli.version_options
    @click.pass_context
    def contracts(
        ctx: click.Context, manifest: Path, only: tuple[str, ...], report_dir: Path, plain: bool | None
    ) -> int | None:
        """Verify every pact against its running provider (the contracts stage of `verify`).

        Each interaction is first checked against the provider's OpenAPI spec (when it declares one),
        then replayed by the Pact core against the provider that interlock starts, with provider states
        set through the provider's `states:` endpoint. Each failed interaction is a finding naming the
        pact, the interaction, the provider state and the mismatch.

        The subcommands work offline: `check-spec` checks the pacts against the specs only, `diff`
        judges the changes between two versions of a spec against the pacts.
        """
        if ctx.invoked_subcommand is not None:
            given = [
                name
                for name in ("manifest", "only", "report_dir", "plain")
                if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
            ]
            if ctx.get_parameter_source("sandbox") == click.core.ParameterSource.COMMANDLINE:
                raise click.UsageError(
                    f"--sandbox runs the contracts against started services; interlock contracts"
                    f" {ctx.invoked_subcommand} starts none"
                )
            if given:  # they would be silently ignored: the subcommand has its own
                raise click.UsageError(
                    f"put --{given[0].replace('_', '-')} after the subcommand:"
                    f" interlock contracts {ctx.invoked_subcommand} --{given[0].replace('_', '-')} ..."
                )
            return None
        return int(run(RunOptions(manifest, ["contracts"], only, "ci", report_dir), plain))

    contracts.add_command(check_spec)
    contracts.add_command(diff)
    return contracts
