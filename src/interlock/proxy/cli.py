"""``interlock proxy ...``: the embedded fault proxy's command line."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def proxy() -> None:
    """The embedded fault proxy: a drop-in Toxiproxy server with HTTP-level faults and observation."""


@proxy.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option(
    "--port",
    default=8474,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port the API listens on (Toxiproxy's default; 0 picks a free one).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed for toxicity rolls, latency jitter, slicer sizes and http_error probability "
    "(random when omitted), so a fault run can be repeated.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="JSON list of proxies to create at start-up, as for POST /populate (like toxiproxy-server -config).",
)
@click.option(
    "--no-uvloop",
    is_flag=True,
    envvar="INTERLOCK_PROXY_NO_UVLOOP",
    help="Use the standard asyncio event loop even if uvloop is installed.",
)
def serve(host: str, port: int, seed: int | None, config: Path | None, no_uvloop: bool) -> int:
    """Run the fault proxy server in the foreground until Ctrl-C or SIGTERM.

    \b
    It speaks the Toxiproxy 2.x HTTP API (proxies, toxics, populate, reset; same status codes,
    JSON and error bodies), so toxiproxy-cli and every Toxiproxy client can drive it. Toxics:
    latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, and down
    (a disabled proxy). interlock adds:
      http_error   a toxic that answers HTTP requests itself (status, Retry-After, body) at a
                   probability, without forwarding them to the provider
      GET    /interlock/observations/NAME?since=SEQ   what reached the provider, per request
      DELETE /interlock/observations/NAME             forget them
    One log line is printed per API change. The chaos and load stages start this server by
    themselves when TOXIPROXY_URL is not set. See docs/proxy.md.

    \b
    Exit codes: 0 after Ctrl-C/SIGTERM (every listener and connection closed),
    2 bad option, bad --config file or port in use (one line on stderr).
    """
    from interlock.proxy.serve import serve as run_server  # aiohttp: only when serving

    return run_server(host, port, seed=seed, config=config, use_uvloop=not no_uvloop)
