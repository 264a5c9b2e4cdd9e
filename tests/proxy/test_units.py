"""Fast unit tests of the proxy's pure parts: Go JSON, Go addresses, slicer sizes, HTTP framing."""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace
from typing import Any

import pytest

from interlock.proxy import addresses, gojson
from interlock.proxy.observe import ConnectionObserver, ObservationLog
from interlock.proxy.toxics.http_error import HttpError
from interlock.proxy.toxics.slicer import boundaries


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.5, "0.5"),
        (0.2, "0.2"),
        (0.1, "0.1"),
        (0, "0"),
        (1e-7, "1e-7"),  # encoding/json trims strconv's "e-07"
        (123456.789, "123456.79"),
        (3e21, "3e+21"),
    ],
)
def test_float32_prints_like_go(value: float, text: str) -> None:
    assert gojson.encode(gojson.Float32(value)).decode() == text


def test_go_json_encoding_escapes_html() -> None:
    assert (
        gojson.encode({"a": "<&>", "b": [1, True, None]})
        == b'{"a":"\\u003c\\u0026\\u003e","b":[1,true,null]}'
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b"   ", "EOF"),
        (b"{", "unexpected EOF"),
        (b"nul", "unexpected EOF"),
        (b"nope", "invalid character 'o' in literal null (expecting 'u')"),
        (b"tru", "unexpected EOF"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"{x}", "invalid character 'x' looking for beginning of object key string"),
        (b"[1 2]", "invalid character '2' after array element"),
    ],
)
def test_go_json_syntax_errors(body: bytes, message: str) -> None:
    with pytest.raises(gojson.GoJSONError) as error:
        gojson.decode(body)
    assert str(error.value) == message


def test_go_json_reads_one_value_and_keeps_number_literals() -> None:
    assert gojson.decode(b'{"a":1} {"ignored":') == {"a": 1}
    with pytest.raises(gojson.GoJSONError, match=r"number 1e3 into Go struct field X.a of type int64"):
        gojson.as_int(gojson.decode(b"1e3"), "struct field X.a")
    with pytest.raises(gojson.GoJSONError, match="number 9223372036854775808 into"):
        gojson.as_int(gojson.decode(b"9223372036854775808"), "struct field X.a")
    assert gojson.fields({"Name": 1, "NAME": 2}) == {"name": 2}


@pytest.mark.parametrize(
    ("address", "resolved"),
    [
        ("127.0.0.1:80", "127.0.0.1:80"),
        ("localhost:3310", "127.0.0.1:3310"),
        (":0", ":0"),
        ("", ":0"),
        ("[::1]:5", "[::1]:5"),
    ],
)
def test_addresses_resolve_like_go(address: str, resolved: str) -> None:
    assert str(addresses.resolve(address)) == resolved


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("bogus", "address bogus: missing port in address"),
        ("1:2:3", "address 1:2:3: too many colons in address"),
        ("127.0.0.1:99999", "address 99999: invalid port"),
    ],
)
def test_bad_addresses_fail_like_go(address: str, message: str) -> None:
    with pytest.raises(addresses.AddressError, match=message):
        addresses.resolve(address)


def test_slicer_halves_like_toxiproxy() -> None:
    pieces = boundaries(1000, 100, 0, random.Random(1))
    assert len(pieces) == 16 and pieces[0] == (0, 62) and pieces[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    varied = boundaries(5000, 50, 20, random.Random(2))
    assert all(end - start <= 70 for start, end in varied)
    assert varied[-1][1] == 5000


# ---- HTTP framing -----------------------------------------------------------------------------


class FakeLink:
    def __init__(self) -> None:
        self.chain: tuple[Any, ...] = ()
        self.pushed: list[bytes] = []

    def push(self, data: bytes) -> None:
        self.pushed.append(data)


class FakeConnection:
    """Just what the observer uses: an id, the RNG, the links and the active answering toxics."""

    def __init__(self) -> None:
        self.id = 9
        self.rng = random.Random(1)
        self.upstream, self.downstream = FakeLink(), FakeLink()
        self.errors: list[Any] = []

    def answering_stubs(self) -> list[Any]:
        return self.errors

    def fail_requests(self, status: int | None) -> None:
        self.errors = (
            []
            if status is None
            else [
                SimpleNamespace(
                    attrs={"status": status, "retry_after": None, "probability": 1.0, "body": "no"},
                    toxic=SimpleNamespace(kind=HttpError()),
                    link=SimpleNamespace(rng=self.rng),
                )
            ]
        )
        self.upstream.chain = tuple(self.errors)


def observer() -> tuple[ConnectionObserver, FakeConnection, ObservationLog]:
    connection, log = FakeConnection(), ObservationLog()
    return ConnectionObserver(connection, log), connection, log  # type: ignore[arg-type]


def test_chunked_bodies_split_heads_head_requests_and_interim_responses() -> None:
    obs, _, log = observer()
    stream = (
        b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nIdempotency-Key: k1\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\nHEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\n\r\n"
    )
    for i in range(0, len(stream), 7):  # any split into reads gives the same result
        assert obs.on_request_bytes(stream[i : i + 7]) == stream[i : i + 7]
    responses = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"  # HEAD: no body
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
    )
    for i in range(0, len(responses), 5):
        assert obs.on_response_bytes(responses[i : i + 5]) is None
    records, cursor = log.since(0)
    assert [(r.method, r.path, r.idempotency_key, r.status) for r in records] == [
        ("POST", "/c", "k1", 201),
        ("HEAD", "/h", None, 200),
        ("GET", "/g", None, 404),
    ]
    assert cursor == 4 and all(r.complete for r in records)


def test_until_close_responses_finish_when_the_connection_closes() -> None:
    obs, _, log = observer()
    obs.on_request_bytes(b"GET /stream HTTP/1.1\r\n\r\n")
    obs.on_response_bytes(b"HTTP/1.1 200 OK\r\n\r\nbody without length")
    records, cursor = log.since(0)
    assert not records[0].complete and cursor == 1  # the cursor waits for the request in flight
    obs.connection_closed()
    assert records[0].complete and records[0].status == 200 and log.since(0)[1] == 2


def test_canned_answers_are_spliced_between_provider_responses() -> None:
    obs, connection, log = observer()
    assert obs.on_request_bytes(b"GET /1 HTTP/1.1\r\n\r\n") == b"GET /1 HTTP/1.1\r\n\r\n"
    connection.fail_requests(503)
    assert obs.on_request_bytes(b"POST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi") == b""
    connection.fail_requests(None)
    assert obs.on_request_bytes(b"GET /3 HTTP/1.1\r\n\r\n") == b"GET /3 HTTP/1.1\r\n\r\n"
    r1, r3 = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3",
    )
    pieces = obs.on_response_bytes(r1 + r3)
    assert pieces is not None and pieces[0] == r1 and pieces[2] == r3
    assert pieces[1].startswith(b"HTTP/1.1 503 Service Unavailable\r\n") and pieces[1].endswith(b"\r\n\r\nno")
    assert [(r.path, r.status, r.reached_provider) for r in log.since(0)[0]] == [
        ("/1", 200, True),
        ("/2", 503, False),
        ("/3", 200, True),
    ]


def test_a_failed_request_in_the_middle_of_a_read_is_cut_out() -> None:
    obs, connection, _ = observer()
    connection.fail_requests(429)
    data = b"PUT /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
    assert obs.on_request_bytes(data[:20]) == b""
    assert obs.on_request_bytes(data[20:]) == b""
    assert connection.downstream.pushed and connection.downstream.pushed[0].startswith(b"HTTP/1.1 429")
    connection.fail_requests(None)
    assert obs.on_request_bytes(b"GET /b HTTP/1.1\r\n\r\n") == b"GET /b HTTP/1.1\r\n\r\n"


def test_non_http_bytes_stop_observation_without_touching_them() -> None:
    obs, connection, log = observer()
    connection.fail_requests(503)
    for data in (b"\x16\x03\x01 TLS hello\r\n\r\n", b"more", b"GET / HTTP/1.1\r\n\r\n"):
        assert obs.on_request_bytes(data) == data
    assert obs.on_response_bytes(b"SSH-2.0\r\n\r\n") is None
    assert log.since(0)[0] == []


def test_the_log_is_bounded_and_seq_survives_clear() -> None:
    log = ObservationLog(capacity=3)
    for index in range(5):
        log.new(1, "GET", f"/{index}", None).complete = True
    records, cursor = log.since(0)
    assert [r.seq for r in records] == [3, 4, 5] and cursor == 6
    assert [r.seq for r in log.since(5)[0]] == [5]
    log.clear()
    assert log.since(0) == ([], 6)
    assert log.new(1, "GET", "/", None).seq == 6


def test_the_log_pages_with_a_limit() -> None:
    log = ObservationLog()
    for index in range(5):
        log.new(1, "GET", f"/{index}", None).complete = True
    page, cursor = log.since(0, limit=2)
    assert [r.seq for r in page] == [1, 2] and cursor == 3
    page, cursor = log.since(cursor, limit=10)
    assert [r.seq for r in page] == [3, 4, 5] and cursor == 6
    assert log.since(6) == ([], 6)
    assert log.since(99) == ([], 99)


def test_credentials_on_the_wire_are_kept_once_each_and_across_clear() -> None:
    obs, _, log = observer()
    obs.on_request_bytes(
        b"GET /a HTTP/1.1\r\nAUTHORIZATION: Bearer t-1\r\nCookie: session=c-1\r\n\r\n"
        b"GET /b HTTP/1.1\r\nx-api-key:  k-1 \r\nAuthorization: Bearer t-1\r\nX-Tenant: shop\r\n\r\n"
    )
    log.clear()
    assert list(log.credentials) == [
        ("authorization", "Bearer t-1"),
        ("cookie", "session=c-1"),
        ("x-api-key", "k-1"),
    ]
