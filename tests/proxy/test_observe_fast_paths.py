"""The observer's keep-alive fast paths record exactly what its general framer records.

A request or response read whole in one chunk may take an inlined path (observe.py); the same
bytes read one byte at a time always take the general one. Both must give the same records and
credentials and forward the same bytes, for messages the fast paths take and ones they refuse.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from interlock.proxy.observe import ConnectionObserver, ObservationLog

_NEXT = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
assert len(_NEXT) == 44
EXCHANGES = [  # (request bytes, response bytes): each is one read when fed whole
    (b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    (b"GET http://h:1/abs?q=1 HTTP/1.1\r\n\r\n", b"HTTP/1.1 503 No\r\ncontent-length: 0\r\n\r\n"),
    (b"PROPFIND /dav HTTP/1.1\r\n\r\n", b"HTTP/1.1 207 Multi\r\nCONTENT-LENGTH:  3 \r\n\r\nabc"),
    (b"GET /a HTTP/1.1\r\nAuthorization: Bearer t1\r\n\r\n", b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"),
    (
        b"POST /p HTTP/1.1\r\nIdempotency-Key: k\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    ),
    (b"HEAD /h HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"),
    # HEAD pipelined with a GET, read in one chunk: the HEAD response's Content-Length equals the
    # length of the GET response that follows it, which is not its body.
    (
        b"HEAD /h2 HTTP/1.1\r\n\r\nGET /g2 HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 44\r\n\r\n" + _NEXT,
    ),
    (b"DELETE /d HTTP/1.1\r\n\r\n", b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"),
    (
        b"GET /two HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!",
    ),
    (b"GET /short HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"),  # body goes on
    (b"GET /rest HTTP/1.1\r\n\r\n", b"cde" + b"HTTP/1.1 404 Gone\r\nContent-Length: 0\r\n\r\n"),
    (b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", b"HTTP/1.1 101 Switching\r\n\r\nframes"),
]
# After the upgrade the connection carries no HTTP: the rate-limited answer gets a connection of its own.
THROTTLED = (
    b"GET /busy HTTP/1.1\r\n\r\n",
    b"HTTP/1.1 429 Slow\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n",
)


def _observe(
    split: bool, exchanges: list[tuple[bytes, bytes]] = EXCHANGES
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]], list[bytes]]:
    connection = SimpleNamespace(
        id=7,
        upstream=SimpleNamespace(chain=()),
        downstream=SimpleNamespace(chain=()),
        answering_stubs=list,
    )
    log = ObservationLog()
    observer = ConnectionObserver(connection, log)  # type: ignore[arg-type]
    forwarded: list[bytes] = []
    for request, response in exchanges:
        for data, feed in ((request, observer.on_request_bytes), (response, observer.on_response_bytes)):
            reads = [data[i : i + 1] for i in range(len(data))] if split else [data]
            for read in reads:
                out = feed(read)
                forwarded.append(read if out is None else b"".join(out) if isinstance(out, list) else out)
    records, _ = log.since(0)
    fields = [
        (
            *(r.seq, r.connection, r.method, r.path, r.idempotency_key, r.status, r.complete),
            *(r.reached_provider, r.caller is not None, r.scheme, r.retry_after, r.refused),
        )
        for r in records
    ]
    return fields, list(log.credentials), forwarded


@pytest.mark.parametrize("count", [1, len(EXCHANGES)])
def test_whole_reads_record_what_byte_by_byte_reads_record(count: int) -> None:
    whole, whole_credentials, whole_forwarded = _observe(split=False)
    split, split_credentials, split_forwarded = _observe(split=True)
    assert whole[:count] == split[:count]
    assert whole_credentials == split_credentials == [("authorization", "Bearer t1")]
    assert b"".join(whole_forwarded) == b"".join(split_forwarded)


def test_whole_reads_give_the_expected_records() -> None:
    records, _, _ = _observe(split=False)
    assert [(r[2], r[3], r[4], r[5]) for r in records] == [
        ("GET", "/ping", None, 200),
        ("GET", "/abs?q=1", None, 503),
        ("PROPFIND", "/dav", None, 207),
        ("GET", "/a", None, 401),
        ("POST", "/p", "k", 201),
        ("HEAD", "/h", None, 200),
        ("HEAD", "/h2", None, 200),
        ("GET", "/g2", None, 202),
        ("DELETE", "/d", None, 204),
        ("GET", "/two", None, 200),
        ("GET", "/short", None, 200),
        ("GET", "/rest", None, 404),
        ("GET", "/ws", None, 101),
    ]
    assert all(r[6] for r in records)


def test_a_whole_429_read_keeps_its_retry_after() -> None:
    # The inlined response path must not skip what the general one reads from a 429/503 head.
    whole, _, _ = _observe(split=False, exchanges=[THROTTLED])
    split, _, _ = _observe(split=True, exchanges=[THROTTLED])
    assert whole == split
    assert [(r[5], r[10]) for r in whole] == [(429, 2.0)]
