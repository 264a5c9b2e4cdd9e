"""The Toxiproxy API edge cases over raw HTTP, against the embedded server and the real Toxiproxy alike."""

from __future__ import annotations

import re
import socket

import httpx
import pytest

from interlock.core.services import free_port
from tests.proxy.conftest import ApiServer, address, connect, read_response

TEXT = "text/plain; charset=utf-8"
REQUEST_ID = "X-Toxiproxy-Request-Id"


def create(http: httpx.Client, name: str, upstream: str, **extra: object) -> httpx.Response:
    return http.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": upstream, **extra})


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == TEXT
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == f'{{"error":"{message}","status":{status}}}\n'
    assert re.fullmatch(r"[0-9a-v]{20}", response.headers[REQUEST_ID])


# ---- shared behaviour -------------------------------------------------------------------------


def test_version_has_its_own_content_type_and_a_trailing_newline(http: httpx.Client) -> None:
    response = http.get("/version")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert re.fullmatch(r'\{"version": "[^"]+"\}\n', response.text)
    assert re.fullmatch(r"[0-9a-v]{20}", response.headers[REQUEST_ID])


@pytest.mark.parametrize("path", ["/proxies/", "/nope", "/version/", "/proxies/a/toxics/b/c", "/metrics"])
def test_unknown_path_is_the_routers_plain_404(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.text == "404 page not found\n"
    assert response.headers["content-type"] == TEXT
    assert REQUEST_ID not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/proxies"),
        ("DELETE", "/version"),
        ("HEAD", "/version"),
        ("GET", "/reset"),
        ("PUT", "/proxies/x/toxics"),
    ],
)
def test_wrong_method_is_an_empty_405(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, path)
    assert response.status_code == 405
    assert response.content == b""
    assert REQUEST_ID not in response.headers


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("//proxies", "/proxies"),
        ("/proxies/./x/?a=1&b=%20", "/proxies/x/?a=1&b=%20"),
        ("/nope/../x", "/x"),
        ("/proxies/a%2F..%2Fb", "/proxies/b"),  # cleaned once decoded
        ("/a/b/../../..", "/"),
    ],
)
def test_an_unclean_path_is_redirected_to_the_clean_one(
    server: ApiServer, target: str, location: str
) -> None:
    """gorilla/mux answers 301 to the clean path, for any method, before routing (no request id)."""
    with socket.create_connection(address(server.url.removeprefix("http://")), timeout=5) as sock:
        sock.sendall(f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        head = read_response(sock).decode().lower()
    assert head.startswith("http/1.1 301 moved permanently\r\n"), head
    assert f"\r\nlocation: {location.lower()}\r\n" in head and REQUEST_ID.lower() not in head


def test_browsers_are_refused_on_matched_routes_only(http: httpx.Client) -> None:
    browser = {"User-Agent": "Mozilla/5.0 (X11)"}
    refused = http.get("/version", headers=browser)
    assert refused.status_code == 403
    assert refused.text == "User agent not allowed\n"
    assert REQUEST_ID in refused.headers
    assert http.get("/proxies", headers={"User-Agent": "mozilla/5.0"}).status_code == 200  # case-sensitive
    assert http.get("/nope", headers=browser).status_code == 404
    assert http.put("/version", headers=browser).status_code == 405


# ---- proxies ----------------------------------------------------------------------------------


def test_create_returns_201_with_the_bound_address_and_the_logger_quirk(
    http: httpx.Client, echo_upstream: str
) -> None:
    response = create(http, "p1", echo_upstream)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["listen"] != "127.0.0.1:0" and body["listen"].startswith("127.0.0.1:")
    assert response.text == (
        f'{{"name":"p1","listen":"{body["listen"]}","upstream":"{echo_upstream}",'
        f'"enabled":true,"Logger":{{}},"toxics":[]}}'
    )


def test_create_ignores_content_type_unknown_fields_key_case_and_trailing_bytes(
    http: httpx.Client, echo_upstream: str
) -> None:
    body = f'{{"NAME":"p2","upstream":"{echo_upstream}","listen":"localhost:0","toxics":[1],"x":2}} trailing'
    response = http.post("/proxies", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "p2"
    assert response.json()["listen"].startswith("127.0.0.1:")  # localhost resolves to the IPv4 address


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "bad request body: EOF"),
        ("nope", "bad request body: invalid character 'o' in literal null (expecting 'u')"),
        ('{"name":', "bad request body: unexpected EOF"),
        (
            '{"name": 1}',
            "bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string",
        ),
        ('{"upstream":"x:1"}', "missing required field: name"),
        ('{"name":"a"}', "missing required field: upstream"),
        ('{"name":"a","upstream":""}', "missing required field: upstream"),
    ],
)
def test_create_rejects_bad_bodies_with_400(http: httpx.Client, body: str, message: str) -> None:
    assert_error(http.post("/proxies", content=body), 400, message)


def test_duplicate_name_is_409_before_any_bind(http: httpx.Client, echo_upstream: str) -> None:
    first = create(http, "dup", echo_upstream).json()
    again = http.post("/proxies", json={"name": "dup", "listen": first["listen"], "upstream": echo_upstream})
    assert_error(again, 409, "proxy already exists")


def test_bind_failure_is_500_with_gos_text_and_adds_nothing(http: httpx.Client, echo_upstream: str) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        taken = http.post(
            "/proxies", json={"name": "b", "listen": f"127.0.0.1:{port}", "upstream": echo_upstream}
        )
        assert_error(taken, 500, f"listen tcp 127.0.0.1:{port}: bind: address already in use")
    finally:
        holder.close()
    nonsense = http.post("/proxies", json={"name": "b", "listen": "nonsense", "upstream": echo_upstream})
    assert_error(nonsense, 500, "listen tcp: address nonsense: missing port in address")
    assert http.get("/proxies").json() == {}


def test_disabled_proxy_keeps_the_literal_listen_string(http: httpx.Client, echo_upstream: str) -> None:
    port = free_port()
    response = http.post(
        "/proxies",
        json={"name": "d", "listen": f"localhost:{port}", "upstream": echo_upstream, "enabled": False},
    )
    assert response.status_code == 201
    assert response.json()["listen"] == f"localhost:{port}"
    assert response.json()["enabled"] is False
    with pytest.raises(ConnectionRefusedError):
        connect(f"127.0.0.1:{port}")


def test_list_is_an_object_sorted_by_name(http: httpx.Client, echo_upstream: str) -> None:
    assert http.get("/proxies").text == "{}"
    for name in ("zeta", "alpha", "mid"):
        create(http, name, echo_upstream)
    assert list(http.get("/proxies").json()) == ["alpha", "mid", "zeta"]


def test_missing_proxy_is_404_everywhere(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/proxies/x"),
        ("POST", "/proxies/x"),
        ("PATCH", "/proxies/x"),
        ("DELETE", "/proxies/x"),
        ("GET", "/proxies/x/toxics"),
        ("POST", "/proxies/x/toxics"),
        ("GET", "/proxies/x/toxics/t"),
        ("PATCH", "/proxies/x/toxics/t"),
        ("DELETE", "/proxies/x/toxics/t"),
    ]:
        # A missing proxy wins over a bad body: the proxy is looked up first.
        assert_error(http.request(method, path, content=b"nope"), 404, "proxy not found")


def test_update_by_post_and_patch_ignores_name_and_keeps_toxics(
    http: httpx.Client, echo_upstream: str
) -> None:
    listen = create(http, "u", echo_upstream).json()["listen"]
    http.post("/proxies/u/toxics", json={"type": "latency", "attributes": {"latency": 5}})
    down = http.post("/proxies/u", json={"enabled": False, "name": "renamed"})
    assert down.status_code == 200
    assert down.json()["enabled"] is False and down.json()["name"] == "u"
    with pytest.raises(ConnectionRefusedError):
        connect(listen)
    up = http.patch("/proxies/u", json={"enabled": True})
    assert up.json()["enabled"] is True
    assert up.json()["listen"] == listen  # rebinds the same address
    assert [t["name"] for t in up.json()["toxics"]] == ["latency_downstream"]
    sock = connect(listen)
    sock.sendall(b"x")
    assert sock.recv(1) == b"x"
    sock.close()


def test_update_with_a_new_listen_restarts_and_closes_connections(
    http: httpx.Client, echo_upstream: str
) -> None:
    listen = create(http, "m", echo_upstream).json()["listen"]
    sock = connect(listen)
    moved = http.patch("/proxies/m", json={"listen": "127.0.0.1:0"}).json()
    assert moved["listen"] != listen and moved["enabled"] is True
    assert sock.recv(10) == b""  # the old connection was closed
    with pytest.raises(ConnectionRefusedError):
        connect(listen)


def test_update_errors(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "e", echo_upstream)
    assert_error(http.patch("/proxies/e", content=b"{"), 400, "bad request body: unexpected EOF")
    assert_error(
        http.patch("/proxies/e", json={"listen": "bogus"}), 500, "address bogus: missing port in address"
    )
    assert_error(
        http.patch("/proxies/e", content=b"[]"),
        400,
        "bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy",
    )
    assert_error(http.patch("/proxies/e", json={"listen": "127.0.0.1:-1"}), 500, "address -1: invalid port")


@pytest.mark.parametrize(
    ("listen", "message"),
    [
        ("127.0.0.1:99999", "listen tcp: address 99999: invalid port"),  # Go names the port alone
        ("localhost:65536", "listen tcp: address 65536: invalid port"),
        ("127.0.0.1:-1", "listen tcp: address -1: invalid port"),
        ("127.0.0.1:nosuchservice", "listen tcp: lookup tcp/nosuchservice: unknown port"),
        ("[::1", "listen tcp: address [::1: missing ']' in address"),
        ("127.0.0.1:0:0", "listen tcp: address 127.0.0.1:0:0: too many colons in address"),
    ],
)
def test_create_with_a_bad_listen_is_500_with_gos_text(
    http: httpx.Client, echo_upstream: str, listen: str, message: str
) -> None:
    response = http.post("/proxies", json={"name": "bad", "listen": listen, "upstream": echo_upstream})
    assert_error(response, 500, message)


def test_listen_ports_parse_like_go_and_0000_binds_dual_stack(http: httpx.Client, echo_upstream: str) -> None:
    signed = http.post("/proxies", json={"name": "s", "listen": "127.0.0.1:+0", "upstream": echo_upstream})
    assert signed.status_code == 201 and re.fullmatch(r"127\.0\.0\.1:\d+", signed.json()["listen"])
    anywhere = http.post("/proxies", json={"name": "w", "listen": "0.0.0.0:0", "upstream": echo_upstream})
    listen = anywhere.json()["listen"]
    assert re.fullmatch(r"\[::\]:\d+", listen), listen  # Go listens on [::] for 0.0.0.0 too
    for host in ("127.0.0.1", "::1"):
        with socket.create_connection((host, int(listen.rsplit(":", 1)[1])), timeout=5) as sock:
            sock.sendall(b"x")
            assert sock.recv(1) == b"x"


def test_delete_is_204_then_404(http: httpx.Client, echo_upstream: str) -> None:
    listen = create(http, "gone", echo_upstream).json()["listen"]
    sock = connect(listen)
    response = http.delete("/proxies/gone")
    assert response.status_code == 204 and response.content == b""
    assert sock.recv(10) == b""
    assert_error(http.delete("/proxies/gone"), 404, "proxy not found")


# ---- populate ---------------------------------------------------------------------------------


def test_populate_creates_keeps_and_replaces(
    http: httpx.Client, echo_upstream: str, http_upstream: str
) -> None:
    first = http.post(
        "/populate",
        json=[
            {"name": "a", "listen": "127.0.0.1:0", "upstream": echo_upstream},
            {"name": "b", "listen": "127.0.0.1:0", "upstream": echo_upstream, "enabled": None},
        ],
    )
    assert first.status_code == 201
    assert first.headers["content-type"] == "application/json"
    a, _ = first.json()["proxies"]
    http.post("/proxies/a/toxics", json={"type": "noop"})
    http.post("/proxies/b/toxics", json={"type": "noop"})
    http.patch("/proxies/a", json={"enabled": False})
    # a: same listen and upstream -> kept as is (toxics AND disabled state); b: new upstream -> replaced.
    again = http.post(
        "/populate",
        json=[
            {"name": "a", "listen": a["listen"], "upstream": echo_upstream},
            {"name": "b", "listen": "127.0.0.1:0", "upstream": http_upstream},
        ],
    )
    assert again.status_code == 201
    kept, replaced = again.json()["proxies"]
    assert kept["enabled"] is False and [t["name"] for t in kept["toxics"]] == ["noop_downstream"]
    assert replaced["upstream"] == http_upstream and replaced["toxics"] == []


def test_populate_errors_are_json_with_proxies(http: httpx.Client, echo_upstream: str) -> None:
    for nothing in ("[]", "null"):
        empty = http.post("/populate", content=nothing)
        assert (empty.status_code, empty.text) == (201, '{"proxies":null}')
    not_a_list = http.post("/populate", json={"name": "x"})
    assert not_a_list.status_code == 400
    assert not_a_list.headers["content-type"] == "application/json"
    assert not_a_list.json()["error"].startswith(
        "bad request body: json: cannot unmarshal object into Go value of type []struct {"
    )
    invalid = http.post(
        "/populate", json=[{"name": "ok", "upstream": echo_upstream}, {"upstream": echo_upstream}]
    )
    assert invalid.text == '{"error":"missing required field: name at proxy 2","status":400,"proxies":null}'
    item = 'struct { toxiproxy.Proxy; Enabled *bool \\"json:\\\\\\"enabled\\\\\\"\\" }'
    for body, error in [
        ('{"x":1}', f"cannot unmarshal object into Go value of type []{item}"),
        ("[null, 7]", f"cannot unmarshal number into .1 of type {item}"),
        (
            '[{"name":"a","upstream":"b:1"},{"listen":5}]',
            "cannot unmarshal number into Go struct field .1.listen of type string",
        ),
        (
            '[{"name":"a","upstream":"b:1","enabled":"yes"}]',
            "cannot unmarshal string into Go struct field .0.enabled of type bool",
        ),
    ]:
        refused = http.post("/populate", content=body)
        assert refused.text == f'{{"error":"bad request body: json: {error}","status":400,"proxies":null}}'
    assert http.get("/proxies").json() == {}  # validated first: nothing created
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        port = holder.getsockname()[1]
        partial = http.post(
            "/populate",
            json=[
                {"name": "first", "listen": "127.0.0.1:0", "upstream": echo_upstream},
                {"name": "clash", "listen": f"127.0.0.1:{port}", "upstream": echo_upstream},
                {"name": "never", "listen": "127.0.0.1:0", "upstream": echo_upstream},
            ],
        )
    finally:
        holder.close()
    assert partial.status_code == 500
    body = partial.json()
    assert body["error"] == f"listen tcp 127.0.0.1:{port}: bind: address already in use"
    assert [p["name"] for p in body["proxies"]] == ["first"]
    assert sorted(http.get("/proxies").json()) == ["first"]


# ---- toxics -----------------------------------------------------------------------------------


def test_toxic_defaults_and_zero_filled_attributes(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "t", echo_upstream)
    response = http.post(
        "/proxies/t/toxics", json={"type": "latency", "attributes": {"latency": 10, "extra": 1}}
    )
    assert response.status_code == 200  # not 201
    assert response.headers["content-type"] == "application/json"
    assert response.text == (
        '{"attributes":{"latency":10,"jitter":0},"name":"latency_downstream",'
        '"type":"latency","stream":"downstream","toxicity":1}'
    )
    noop = http.post("/proxies/t/toxics", json={"type": "noop", "stream": "UPSTREAM", "toxicity": 0.2}).json()
    assert noop == {
        "attributes": {},
        "name": "noop_UPSTREAM",
        "type": "noop",
        "stream": "UPSTREAM",
        "toxicity": 0.2,
    }
    slicer = http.post("/proxies/t/toxics", json={"type": "slicer", "name": "s"}).json()
    assert slicer["attributes"] == {"average_size": 0, "size_variation": 0, "delay": 0}
    # Listing: upstream toxics first, then downstream, each in insertion order.
    assert [t["name"] for t in http.get("/proxies/t/toxics").json()] == [
        "noop_UPSTREAM",
        "latency_downstream",
        "s",
    ]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"type":"latency","stream":""}', 400, "stream was invalid, can be either upstream or downstream"),
        (
            '{"type":"bogus","stream":"sideways"}',
            400,
            "stream was invalid, can be either upstream or downstream",
        ),
        ('{"type":"bogus"}', 400, "invalid toxic type"),
        ('{"stream":"upstream"}', 400, "invalid toxic type"),
        (
            '{"type":"latency","attributes":{"latency":1.5}}',
            400,
            # Toxiproxy 2.12.0 as built (Go 1.27) names no struct in an attribute's field path.
            "bad request body: json: cannot unmarshal number 1.5 "
            "into Go struct field .attributes.latency of type int64",
        ),
        (
            '{"type":"latency","attributes":{"latency":"abc"}}',
            400,
            "bad request body: json: cannot unmarshal string "
            "into Go struct field .attributes.latency of type int64",
        ),
        (
            '{"type":"latency","toxicity":"x"}',
            400,
            "bad request body: json: cannot unmarshal string into Go struct "
            "field ToxicWrapper.toxicity of type float32",
        ),
        ("{", 400, "bad request body: unexpected EOF"),
        (
            "[]",
            400,
            "bad request body: json: cannot unmarshal array into Go value of type toxics.ToxicWrapper",
        ),
        (
            '{"type":"latency","attributes":[]}',
            400,
            "bad request body: json: cannot unmarshal array "
            "into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic",
        ),
        (
            '{"type":"slicer","attributes":{"delay":true}}',
            400,
            "bad request body: json: cannot unmarshal bool into Go struct field .attributes.delay of type int",
        ),
    ],
)
def test_toxic_create_errors(
    http: httpx.Client, echo_upstream: str, body: str, status: int, message: str
) -> None:
    create(http, "t", echo_upstream)
    assert_error(http.post("/proxies/t/toxics", content=body), status, message)
    assert http.get("/proxies/t/toxics").json() == []


def test_toxicity_prints_as_a_go_float32(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "t", echo_upstream)
    tiny = http.post("/proxies/t/toxics", content='{"type":"noop","toxicity":1e-7}')
    assert tiny.text.endswith('"toxicity":1e-7}')  # encoding/json trims strconv's e-07
    third = http.post("/proxies/t/toxics", content='{"type":"noop","name":"n","toxicity":0.3333333333}')
    assert third.text.endswith('"toxicity":0.33333334}')


def test_toxic_update_errors(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "t", echo_upstream)
    http.post("/proxies/t/toxics", json={"type": "latency"})
    path = "/proxies/t/toxics/latency_downstream"
    assert_error(
        http.patch(path, json={"attributes": "x"}),
        400,
        "bad request body: json: cannot unmarshal string into Go struct field .attributes of type toxics.LatencyToxic",
    )
    assert_error(
        http.patch(path, json={"attributes": {"jitter": 0.5}}),
        400,
        "bad request body: json: cannot unmarshal number 0.5 into Go struct field .attributes.jitter of type int64",
    )
    assert_error(
        http.patch(path, json={"toxicity": "x"}),
        400,
        "bad request body: json: cannot unmarshal string into Go struct field .toxicity of type float32",
    )
    assert http.get(path).json()["attributes"] == {"latency": 0, "jitter": 0}  # nothing half-applied


def test_toxic_names_are_unique_across_streams(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "t", echo_upstream)
    http.post("/proxies/t/toxics", json={"type": "latency", "name": "slow", "stream": "upstream"})
    again = http.post(
        "/proxies/t/toxics",
        json={
            "type": "bandwidth",
            "name": "slow",
            "stream": "downstream",
            "attributes": {"rate": "not checked before the name"},
        },
    )
    assert_error(again, 409, "toxic already exists")


def test_toxic_update_merges_attributes_and_ignores_identity(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "t", echo_upstream)
    http.post(
        "/proxies/t/toxics",
        json={"type": "latency", "toxicity": 0.5, "attributes": {"latency": 100, "jitter": 10}},
    )
    updated = http.patch(
        "/proxies/t/toxics/latency_downstream",
        json={"attributes": {"latency": 200}, "name": "x", "type": "noop", "stream": "upstream"},
    )
    assert updated.status_code == 200
    assert updated.json() == {
        "attributes": {"latency": 200, "jitter": 10},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 0.5,
    }
    by_post = http.post("/proxies/t/toxics/latency_downstream", json={"toxicity": 1})
    assert by_post.json()["toxicity"] == 1 and by_post.json()["attributes"]["latency"] == 200
    assert http.get("/proxies/t/toxics/latency_downstream").json() == by_post.json()
    assert_error(
        http.patch("/proxies/t/toxics/latency_downstream", content=b"nope"),
        400,
        "bad request body: invalid character 'o' in literal null (expecting 'u')",
    )
    assert_error(http.patch("/proxies/t/toxics/missing", content=b"nope"), 404, "toxic not found")
    assert_error(http.get("/proxies/t/toxics/missing"), 404, "toxic not found")


def test_toxic_delete(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "t", echo_upstream)
    http.post("/proxies/t/toxics", json={"type": "noop"})
    response = http.delete("/proxies/t/toxics/noop_downstream")
    assert (response.status_code, response.content) == (204, b"")
    assert_error(http.delete("/proxies/t/toxics/noop_downstream"), 404, "toxic not found")


def test_reset_enables_every_proxy_and_removes_toxics_but_keeps_proxies(
    http: httpx.Client, echo_upstream: str
) -> None:
    listen = create(http, "r1", echo_upstream).json()["listen"]
    create(http, "r2", echo_upstream)
    http.post("/proxies/r1/toxics", json={"type": "latency"})
    http.patch("/proxies/r1", json={"enabled": False})
    response = http.post("/reset")
    assert (response.status_code, response.content) == (204, b"")
    proxies = http.get("/proxies").json()
    assert sorted(proxies) == ["r1", "r2"]
    assert proxies["r1"]["enabled"] is True and proxies["r1"]["toxics"] == []
    assert proxies["r1"]["listen"] == listen


@pytest.mark.embedded_only
def test_observations_of_a_missing_proxy_is_404(http: httpx.Client) -> None:
    assert_error(http.get("/interlock/observations/x"), 404, "proxy not found")


@pytest.mark.embedded_only
def test_http_error_is_listed_like_any_toxic(http: httpx.Client, echo_upstream: str) -> None:
    create(http, "h", echo_upstream)
    toxic = http.post(
        "/proxies/h/toxics", json={"type": "http_error", "attributes": {"retry_after": 3}}
    ).json()
    assert toxic["attributes"] == {"status": 503, "retry_after": 3, "probability": 1.0, "body": ""}
    listed = http.get("/proxies/h/toxics").text
    assert '"attributes":{"status":503,"retry_after":3,"probability":1,"body":""}' in listed
    bad = http.post(
        "/proxies/h/toxics", json={"type": "http_error", "name": "x", "attributes": {"status": 42}}
    )
    assert_error(bad, 400, "bad request body: http_error status must be 100-599, not 42")


def test_an_empty_listen_binds_every_interface_like_go(http: httpx.Client, echo_upstream: str) -> None:
    response = http.post("/proxies", json={"name": "any", "upstream": echo_upstream})
    assert response.status_code == 201
    listen = response.json()["listen"]
    assert re.fullmatch(r"\[::\]:\d+", listen), listen
    with connect(f"127.0.0.1:{listen.rsplit(':', 1)[1]}") as sock:  # reached over loopback only
        sock.sendall(b"x")
        assert sock.recv(1) == b"x"


def test_a_failed_enable_or_reset_is_500_and_the_proxy_stays_disabled(
    http: httpx.Client, echo_upstream: str
) -> None:
    listen = create(http, "busy", echo_upstream).json()["listen"]
    http.patch("/proxies/busy", json={"enabled": False})
    holder = socket.socket()
    holder.bind(address(listen))
    holder.listen()
    try:
        message = f"listen tcp {listen}: bind: address already in use"
        assert_error(http.patch("/proxies/busy", json={"enabled": True}), 500, message)
        assert http.get("/proxies/busy").json()["enabled"] is False
        assert_error(http.post("/reset"), 500, message)
    finally:
        holder.close()
    assert http.post("/reset").status_code == 204
    assert http.get("/proxies/busy").json()["enabled"] is True
