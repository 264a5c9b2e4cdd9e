"""Provider-side observation: which HTTP requests reached the provider, and what it answered.

Each proxied connection gets a :class:`ConnectionObserver`. It frames HTTP/1.1 requests at the
*end* of the upstream chain (what actually reached the provider) and responses at the *start* of
the downstream chain (what the provider sent), pairs them in order (keep-alive and pipelining),
and records one :class:`Observation` per request in the proxy's :class:`ObservationLog`.

Framing handles Content-Length and chunked bodies, HEAD/204/304 responses, 1xx interim responses
and read-until-close bodies. Anything that does not parse as HTTP/1.1 (another protocol, an
Upgrade) stops observation of that connection and never affects forwarding.

The same request framing is where toxics that answer requests themselves act (``http_error``;
see :meth:`~interlock.proxy.toxics.base.Kind.answer`): a request one of them answers is consumed
here, and its canned response is injected into the downstream link at the right place in the
response order. What the answer is belongs to the toxic's own module.

Written by hand rather than with h11 or httptools: it must see bytes it does not own (it never
buffers or delays forwarding), pair responses with HEAD requests, give up silently, and cost
little per chunk on the no-toxic fast path (one ``find`` and one ``lower`` per message head).
"""

from __future__ import annotations

import itertools
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlock.proxy import credentials
from interlock.proxy.retry_after import RETRY_AFTER_STATUSES, retry_after_of

if TYPE_CHECKING:
    from interlock.proxy.link import Connection
    from interlock.proxy.toxics.base import Stub

MAX_HEAD = 64 * 1024
DEFAULT_CAPACITY = 100_000
#: Request headers whose values are credentials: the run masks them in its artefacts.
CREDENTIAL_HEADERS = (b"authorization", b"proxy-authorization", b"cookie", b"x-api-key")
#: Distinct credentials a log keeps (a consumer sends the same few again and again).
MAX_CREDENTIALS = 64
#: Request headers that link a request to the call that caused it (W3C trace context, request
#: ids), and the observation field each is kept in: the chaos stage's ``trace_propagation``.
TRACE_HEADERS = (
    (b"traceparent", "traceparent"),
    (b"x-request-id", "request_id"),
    (b"x-correlation-id", "correlation_id"),
)
#: A correlation header value longer than this is cut (a traceparent is 55 characters).
MAX_TRACE_VALUE = 256

#: A request head with none of these headers needs no per-header work: no key, no credential,
#: no trace header, no body (Content-Length / Transfer-Encoding), no Upgrade. One C-level scan of the lowered
#: head tells, instead of a ``find`` per header (the keep-alive fast path's biggest cost).
_NOTABLE_REQUEST_HEADER = re.compile(
    rb"\n(?:idempotency-key|content-length|transfer-encoding|upgrade|"
    + b"|".join(re.escape(name) for name in CREDENTIAL_HEADERS)
    + b"|"
    + b"|".join(re.escape(name) for name, _ in TRACE_HEADERS)
    + rb"):"
)
#: Method names as str without a decode (and a new object) per request.
_METHODS = {m.encode(): m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}

# Framing states
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_CLOSE, _DEAD = range(7)


@dataclass(slots=True)
class Observation:
    """One request as the provider side of the proxy saw it."""

    seq: int
    connection: int
    started: float
    method: str
    path: str
    idempotency_key: str | None
    finished: float | None = None
    status: int | None = None
    reached_provider: bool = True
    #: Fingerprint of the request's credential (never the value) and its scheme: see :mod:`.credentials`.
    caller: str | None = None
    scheme: str | None = None
    #: Seconds the answer's ``Retry-After`` asked for (429/503 answers only).
    retry_after: float | None = None
    #: A connection attempt the proxy reset at once (the provider ``down``): no request was read.
    refused: bool = False
    #: The canned response still to send (a toxic's answer), and whether the connection ends after it.
    canned: bytes | None = None
    close_after: bool = False
    complete: bool = False
    #: The correlation headers the request carried (see :data:`TRACE_HEADERS`), None when absent.
    traceparent: str | None = None
    request_id: str | None = None
    correlation_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        record = {
            "seq": self.seq,
            "connection": self.connection,
            "started": self.started,
            "finished": self.finished,
            "method": self.method,
            "path": self.path,
            "idempotency_key": self.idempotency_key,
            "status": self.status,
            "reached_provider": self.reached_provider,
            "caller": self.caller,
            "scheme": self.scheme,
            "retry_after": self.retry_after,
            "refused": self.refused,
        }
        for _, field in TRACE_HEADERS:  # only when sent: most consumers send none
            value = getattr(self, field)
            if value is not None:
                record[field] = value
        return record


class ObservationLog:
    """The bounded record of one proxy's requests; ``seq`` keeps counting across clears."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._records: deque[Observation] = deque(maxlen=capacity)
        self._next_seq = 1
        #: (header, value) of the credentials seen, oldest first; kept across :meth:`clear`.
        self.credentials: dict[tuple[str, str], None] = {}
        #: Fingerprints of the credentials seen and when each was first seen; kept across :meth:`clear`.
        self.book = credentials.CredentialBook()

    def saw_credential(self, header: str, value: str) -> None:
        if value and len(self.credentials) < MAX_CREDENTIALS:
            self.credentials[(header, value)] = None

    def new(self, connection: int, method: str, path: str, key: str | None) -> Observation:
        record = Observation(self._next_seq, connection, time.time(), method, path, key)
        self._next_seq += 1
        self._records.append(record)
        return record

    def since(self, seq: int, limit: int | None = None) -> tuple[list[Observation], int]:
        """Up to ``limit`` records with ``seq >= seq``, and the cursor for the next call.

        The cursor stops at the oldest request still in flight, so a poller sees it again once its
        response (or the connection's end) has completed it.
        """
        records = self._records
        if not records:
            return [], max(seq, self._next_seq)
        first = records[0].seq
        start = max(seq - first, 0)
        stop = len(records) if limit is None else min(len(records), start + limit)
        chosen = list(itertools.islice(records, start, stop)) if start < stop else []
        cursor = chosen[-1].seq + 1 if chosen else max(seq, self._next_seq if start >= len(records) else seq)
        for record in chosen:
            if not record.complete:
                cursor = record.seq
                break
        return chosen, cursor

    def clear(self) -> None:
        self._records.clear()


class _Framer:
    """Incremental HTTP/1.1 message framing over one direction of a connection."""

    __slots__ = ("buffer", "remaining", "state")

    def __init__(self) -> None:
        self.state = _HEAD
        self.remaining = 0
        self.buffer = b""

    def skip_body(self, data: bytes, pos: int) -> tuple[int, bool]:
        """Advance through body bytes from ``pos``; returns (new pos, message complete)."""
        size = len(data)
        while pos < size:
            state = self.state
            if state == _LENGTH:
                take = min(self.remaining, size - pos)
                pos += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = _HEAD
                    return pos, True
            elif state == _CHUNK_DATA:
                take = min(self.remaining, size - pos)
                pos += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = _CHUNK_SIZE
            elif state in (_CHUNK_SIZE, _TRAILER):
                line, pos = self._line(data, pos)
                if line is None:
                    return pos, False
                if state == _CHUNK_SIZE:
                    try:
                        chunk = int(line.split(b";", 1)[0].strip(), 16)
                    except ValueError:
                        self.state = _DEAD
                        return size, False
                    if chunk == 0:
                        self.state = _TRAILER
                    else:
                        self.state, self.remaining = _CHUNK_DATA, chunk + 2
                elif line == b"":
                    self.state = _HEAD
                    return pos, True
            elif state == _UNTIL_CLOSE:
                return size, False
            else:
                return pos, False
        return pos, False

    def _line(self, data: bytes, pos: int) -> tuple[bytes | None, int]:
        end = data.find(b"\n", pos)
        if end < 0:
            self.buffer += data[pos:]
            if len(self.buffer) > MAX_HEAD:
                self.state = _DEAD
            return None, len(data)
        line = (self.buffer + data[pos:end]).rstrip(b"\r")
        self.buffer = b""
        return line, end + 1

    def head(self, data: bytes, pos: int) -> tuple[bytes | None, int]:
        """The next message head (without the blank line), or None when it is not complete yet."""
        if self.buffer:
            joined = self.buffer + data[pos:]
            end = joined.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = joined
                if len(joined) > MAX_HEAD:
                    self.state = _DEAD
                return None, len(data)
            self.buffer = b""
            consumed_from_data = end + 4 - (len(joined) - (len(data) - pos))
            return joined[:end], pos + consumed_from_data
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            self.buffer = data[pos:]
            if len(self.buffer) > MAX_HEAD:
                self.state = _DEAD
            return None, len(data)
        return data[pos:end], end + 4


def _value(head: bytes, start: int) -> bytes:
    """The header value that starts at ``start`` (just after its colon)."""
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


def _keeps_alive(version: bytes, lower: bytes) -> bool:
    """HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when told to keep it."""
    at = lower.find(b"\nconnection:")
    value = _value(lower, at + 12) if at >= 0 else b""
    if version == b"HTTP/1.0":
        return b"keep-alive" in value
    return b"close" not in value


def _frame_body(framer: _Framer, head: bytes, lower: bytes, no_length: int) -> bool:
    """Set ``framer`` for the body that follows ``head``; False if the framing is unreadable.

    ``no_length`` is the state without Content-Length or chunked: no body (_HEAD) for requests,
    read-until-close for responses.
    """
    at = lower.find(b"\ntransfer-encoding:")
    if at >= 0 and _value(lower, at + 20).endswith(b"chunked"):
        framer.state = _CHUNK_SIZE
        return True
    at = lower.find(b"\ncontent-length:")
    if at < 0:
        framer.state = no_length
        return True
    try:
        length = int(_value(head, at + 16))
    except ValueError:
        return False
    if length:
        framer.state, framer.remaining = _LENGTH, length
    else:
        framer.state = _HEAD
    return True


class ConnectionObserver:
    """Observes one connection and lets the toxics that answer requests answer them."""

    def __init__(self, connection: Connection, log: ObservationLog) -> None:
        self.connection = connection
        self.log = log
        self.requests = _Framer()
        self.responses = _Framer()
        self.pending: deque[Observation] = deque()
        self._swallowing: Observation | None = None
        self._held = False
        self._reading = False
        self._read_pos = 0
        self._splices: list[tuple[int, bytes]] = []
        self._canned_waiting = 0
        self._response_for: Observation | None = None

    # ---- upstream: requests at the provider edge -----------------------------------------------

    def on_request_bytes(self, data: bytes) -> bytes:
        """Frame requests in ``data``; return the bytes to forward (all but the answered requests).

        A request a toxic answers is cut out of the stream. While such a toxic is present, a
        request head split across reads is held back until it is complete, so a request is either
        forwarded whole or not at all.
        """
        framer = self.requests
        state = framer.state
        if state == _HEAD and not framer.buffer and not self._held and self._swallowing is None:
            # Fast path: the chunk starts with a complete request head (the usual case).
            end = data.find(b"\r\n\r\n")
            if end + 4 == len(data) and self._plain_request(data):
                return data
            if end >= 0:
                record = self._request_head(data[:end])
                if record is None:
                    self._give_up_requests()
                    return data
                pos = end + 4
                if record.canned is None:
                    if framer.state == _HEAD and pos == len(data):
                        return data
                    if framer.state == _LENGTH and framer.remaining == len(data) - pos:
                        framer.state = _HEAD
                        return data
                    return self._frame_requests(data, pos, 0, True, [])
                self._swallowing = record
                if framer.state == _HEAD:
                    self._swallowing = None
                    self._flush_canned()
                    return self._frame_requests(data, pos, pos, False, [])
                return self._frame_requests(data, pos, None, False, [])
        elif state == _DEAD and not self._held:
            return data
        run = 0 if self._swallowing is None and not self._held else None
        return self._frame_requests(data, 0, run, run == 0, [])

    def _plain_request(self, data: bytes) -> bool:
        """Record ``data`` if it is exactly one request head without body or notable headers.

        The keep-alive fast path, inlined (a GET as load tools and most clients send it): no
        body, key, credential or upgrade to look at, and no toxic that may answer it. False
        leaves everything untouched for the general path.
        """
        connection = self.connection
        if (connection.upstream.chain or connection.downstream.chain) and connection.answering_stubs():
            return False
        if _NOTABLE_REQUEST_HEADER.search(data.lower()) is not None:
            return False
        line_end = data.find(b"\r\n")
        parts = data[:line_end].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1.") or parts[0] == b"CONNECT":
            return False
        method = _METHODS.get(parts[0]) or parts[0].decode("latin-1")
        target = parts[1].decode("latin-1")
        log = self.log
        record = Observation(
            log._next_seq,
            connection.id,
            time.time(),
            method,
            target if target[:1] == "/" else _path(target),
            None,
        )
        log._next_seq += 1
        log._records.append(record)
        self.pending.append(record)
        return True

    def _frame_requests(
        self, data: bytes, pos: int, run: int | None, plain: bool, pieces: list[bytes]
    ) -> bytes:
        """The general case: any number of (partial) requests in ``data`` from ``pos``.

        ``run`` is where the bytes being forwarded started (None while dropping or holding);
        ``plain`` means nothing was cut out so far, so ``data`` itself can be returned.
        """
        framer = self.requests
        size = len(data)
        while pos < size and framer.state != _DEAD:
            if framer.state != _HEAD:
                pos, complete = framer.skip_body(data, pos)
                if framer.state == _DEAD and self._swallowing is not None:
                    self._swallowing = None
                    run = pos
                elif complete and self._swallowing is not None:
                    self._swallowing = None
                    self._flush_canned()
                    run = pos
                continue
            start = pos
            earlier = framer.buffer
            head, pos = framer.head(data, pos)
            if head is None:
                if framer.state == _DEAD:
                    run, plain = self._release_held(pieces, earlier, run, start), False
                elif self.connection.answering_stubs():
                    if run is not None:
                        pieces.append(data[run:start])
                    run, plain, self._held = None, False, True
                break
            record = self._request_head(head)
            if record is None:
                self._give_up_requests()
                run, plain = self._release_held(pieces, earlier, run, start), False
                break
            if record.canned is not None:
                if run is not None:
                    pieces.append(data[run:start])
                run, plain, self._held = None, False, False
                self._swallowing = record
                if framer.state == _HEAD:  # no body: answered at once
                    self._swallowing = None
                    self._flush_canned()
                    run = pos
            elif self._held:
                run, plain = self._release_held(pieces, earlier, run, start), False
        if plain:
            return data
        if run is not None:
            pieces.append(data[run:])
        return b"".join(pieces)

    def _release_held(self, pieces: list[bytes], earlier: bytes, run: int | None, start: int) -> int | None:
        """Forward a held-back partial head after all; returns the new forwarded-run start."""
        if not self._held:
            return run
        self._held = False
        pieces.append(earlier)
        return start

    def _request_head(self, head: bytes) -> Observation | None:
        line_end = head.find(b"\r\n")
        parts = (head if line_end < 0 else head[:line_end]).split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            return None
        method = parts[0].decode("latin-1")
        lower = head.lower()
        at = lower.find(b"\nidempotency-key:")
        key = _value(head, at + 17).decode("latin-1") if at >= 0 else None
        seen: list[tuple[str, str]] | None = None  # most requests carry no credential: no list
        for name in CREDENTIAL_HEADERS:
            at = lower.find(b"\n" + name + b":")
            if at >= 0:
                value = _value(head, at + len(name) + 2).decode("latin-1")
                self.log.saw_credential(name.decode(), value)
                seen = [*(seen or ()), (name.decode(), value)]
        target = parts[1].decode("latin-1")
        record = self.log.new(self.connection.id, method, target if target[0] == "/" else _path(target), key)
        if seen:
            credentials.note(self.log.book, record, seen)
        for name, field in TRACE_HEADERS:
            at = lower.find(b"\n" + name + b":")
            if at >= 0:
                setattr(record, field, _value(head, at + len(name) + 2)[:MAX_TRACE_VALUE].decode("latin-1"))
        self.pending.append(record)
        framer = self.requests
        if not _frame_body(framer, head, lower, 0):
            return None
        if method == "CONNECT" or b"\nupgrade:" in lower:
            # The connection becomes something else after this request: stop framing requests.
            framer.state = _DEAD
        if self.connection.upstream.chain or self.connection.downstream.chain:
            stubs = self.connection.answering_stubs()
            if stubs:
                self._answer(record, stubs, _keeps_alive(parts[2], lower))
        return record

    def _answer(self, record: Observation, stubs: list[Stub], keep_alive: bool) -> None:
        """The first toxic in chain order that answers the request answers it."""
        for stub in stubs:
            answer = stub.toxic.kind.answer_request(stub, keep_alive, record)
            if answer is not None:
                record.reached_provider = False
                record.status = answer.status
                record.retry_after = answer.retry_after
                record.close_after = not keep_alive
                record.canned = answer.data
                self._canned_waiting += 1
                return

    def _give_up_requests(self) -> None:
        self.requests.state = _DEAD
        self.requests.buffer = b""

    # ---- downstream: the provider's responses --------------------------------------------------

    def on_response_bytes(self, data: bytes) -> list[bytes] | None:
        """Frame the provider's responses in ``data``.

        Returns None when ``data`` is to be forwarded as is, or the pieces to forward instead:
        ``data`` with canned responses (toxics' answers) spliced in after the responses they follow.
        """
        framer = self.responses
        if framer.state == _HEAD and not framer.buffer and not self._canned_waiting:
            # Fast path: exactly one whole response with a Content-Length body, for the oldest
            # request waiting (the usual case); anything else takes the general path below.
            end = data.find(b"\r\n\r\n")
            pending = self.pending
            if end >= 12 and pending and data.startswith(b"HTTP/1.") and self._response_for is None:
                record = pending[0]
                lower = data[:end].lower()
                at = lower.find(b"\ncontent-length:")
                if (
                    record.reached_provider
                    and record.method != "HEAD"
                    and at >= 0
                    and b"\ntransfer-encoding:" not in lower
                ):
                    try:  # int() ignores the whitespace around the number, as _value strips it
                        status = int(data[9:12])
                        length = int(data[at + 16 : data.find(b"\r\n", at + 16)])
                    except ValueError:
                        status = length = -1
                    if (
                        status >= 200
                        and status not in (204, 304)
                        and status not in RETRY_AFTER_STATUSES  # their Retry-After is read there
                        and end + 4 + length == len(data)
                    ):
                        record.status = status
                        record.finished = time.time()
                        record.complete = True
                        pending.popleft()
                        return None
        if framer.state == _DEAD:
            return None
        self._reading = True
        try:
            self._frame_responses(data)
        finally:
            self._reading = False
        splices, self._splices = self._splices, []
        if not splices:
            return None
        pieces, last = [], 0
        for at, canned in splices:
            pieces += [data[last:at], canned]
            last = at
        pieces.append(data[last:])
        return [piece for piece in pieces if piece]

    def _frame_responses(self, data: bytes) -> None:
        framer = self.responses
        pos, size = 0, len(data)
        if framer.state == _HEAD and not framer.buffer:
            # Fast path: one complete response with its Content-Length body (the usual case).
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                self._read_pos = pos = end + 4
                if not self._response_head(data[:end]):
                    self._give_up_responses()
                    return
                if framer.state == _LENGTH and framer.remaining == size - pos:
                    framer.state = _HEAD
                    self._read_pos = size
                    self._response_done()
                    return
                if framer.state == _HEAD and self._response_for is not None:
                    self._response_done()
        while pos < size:
            if framer.state == _HEAD:
                head, pos = framer.head(data, pos)
                self._read_pos = pos
                if head is None:
                    if framer.state == _DEAD:
                        self._give_up_responses()
                    return
                if not self._response_head(head):
                    self._give_up_responses()
                    return
                if framer.state == _HEAD and self._response_for is not None:
                    self._response_done()
                continue
            pos, complete = framer.skip_body(data, pos)
            self._read_pos = pos
            if framer.state == _DEAD:
                self._give_up_responses()
                return
            if complete:
                self._response_done()

    def _response_head(self, head: bytes) -> bool:
        if not head.startswith(b"HTTP/1."):
            return False
        try:
            status = int(head[9:12])
        except ValueError:
            return False
        if 100 <= status < 200 and status != 101:
            return True  # interim response; the final one follows
        pending = self.pending
        if pending and pending[0].reached_provider:
            record: Observation | None = pending[0]
        else:
            record = next((r for r in pending if r.reached_provider), None)
        self._response_for = record
        if record is not None:
            record.status = status
            if status in RETRY_AFTER_STATUSES:
                record.retry_after = retry_after_of(head)
        if status == 101:
            self._response_done()
            self.responses.state = _DEAD
            return True
        if (record is not None and record.method == "HEAD") or status in (204, 304):
            return True
        return _frame_body(self.responses, head, head.lower(), _UNTIL_CLOSE)

    def _response_done(self) -> None:
        record = self._response_for
        self._response_for = None
        if record is not None:
            record.finished = time.time()
            record.complete = True
            pending = self.pending
            if pending and pending[0] is record:
                pending.popleft()
            elif record in pending:
                pending.remove(record)
        if self._canned_waiting:
            self._flush_canned()

    def _give_up_responses(self) -> None:
        self.responses.state = _DEAD
        self.responses.buffer = b""
        self._flush_canned()

    def _flush_canned(self) -> None:
        """Send canned responses that are next in line (none is owed to an earlier request).

        When responses cannot be framed any more, order is unknowable: canned ones go at once.
        """
        if self.responses.state == _DEAD:
            for record in [r for r in self.pending if r.canned is not None and r is not self._swallowing]:
                self.pending.remove(record)
                self._send_canned(record)
            return
        if self.responses.state != _HEAD or self._response_for is not None:
            return
        while self.pending:
            record = self.pending[0]
            if record.reached_provider or record is self._swallowing:
                return
            self.pending.popleft()
            self._send_canned(record)

    def _send_canned(self, record: Observation) -> None:
        self._canned_waiting -= 1
        record.finished = time.time()
        record.complete = True
        if record.canned is not None:
            canned, record.canned = record.canned, None
            if self._reading:  # goes out right after the response that was just read
                self._splices.append((self._read_pos, canned))
            else:
                self.connection.downstream.push(canned)
                if record.close_after:
                    # Like a server answering "Connection: close": the client sees EOF after it.
                    self.connection.downstream.eof()

    def connection_closed(self) -> None:
        """Requests still waiting end without a status (reset, timeout, closed)."""
        now = time.time()
        if self._response_for is not None and self.responses.state == _UNTIL_CLOSE:
            record = self._response_for
            record.finished, record.complete = now, True
        for record in self.pending:
            if not record.complete:
                # A status stays when the response head arrived, even if its body did not finish.
                record.finished = now
                record.complete = True
                record.canned = None
        self.pending.clear()


def _path(target: str) -> str:
    """The request target without scheme and host (absolute-form targets come from proxies)."""
    if target.startswith(("http://", "https://")):
        slash = target.find("/", target.find("//") + 2)
        return target[slash:] if slash >= 0 else "/"
    return target
