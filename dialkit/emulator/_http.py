"""The HTTP front of the emulator: restJson1 routing and (de)serialisation.

Routes are read from the botocore service models (method + ``requestUri`` of every
operation of ``connectcampaigns`` and ``connectcampaignsv2``), so a path the real
service answers is a path the emulator recognises.  Errors go out the way
restJson1 services send them: HTTP status, header ``x-amzn-ErrorType: <Name>``,
JSON body ``{"message": ...}`` plus the exception's other members.

Control endpoints for tests and notebooks live under ``/_dialkit/``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import socket
import socketserver
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.model import ServiceModel

from dialkit.emulator._service import Reply
from dialkit.masking import mask_phone

if TYPE_CHECKING:  # pragma: no cover
    from dialkit.emulator._emulator import Emulator

logger = logging.getLogger("dialkit.emulator")

CONTROL_PREFIX = "/_dialkit/"

#: A piece of a request line that may be a phone number (``+`` or ``%2B``, then 7+ digits/separators).
_PHONE_LIKE = re.compile(r"(?:\+|%2[Bb])?[\d\-().]{7,}")
_LOG_TOKEN = re.compile(r"[^/\s?&=\"]+")


def mask_log_line(text: str) -> str:
    """Mask every path or query piece of an access-log line that looks like a phone number.

    Pieces are masked whole, so ids such as UUIDs (hex and dashes) stay readable.
    """

    def mask(match: re.Match[str]) -> str:
        token = match.group(0)
        if not _PHONE_LIKE.fullmatch(token):
            return token
        return mask_phone(unquote(token))

    return _LOG_TOKEN.sub(mask, text)


@dataclass(frozen=True)
class Route:
    """One modelled operation: its API, name, HTTP method and path pattern."""

    api: str
    operation: str
    method: str
    pattern: re.Pattern[str]


def build_routes(models: dict[str, ServiceModel], *, only: tuple[str, ...] | None = None) -> list[Route]:
    """A route for every operation of every model (or the ``only`` ones), from its ``http.method`` and ``http.requestUri``."""
    routes = []
    for api, model in models.items():
        for operation in model.operation_names:
            if only is not None and operation not in only:
                continue
            http = model.operation_model(operation).http
            path = http["requestUri"].split("?", 1)[0]
            parts = []
            for segment in path.strip("/").split("/"):
                label = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
                if label is None:
                    parts.append(re.escape(segment))
                elif label.group(2):
                    parts.append(f"(?P<{label.group(1)}>.+)")
                else:
                    parts.append(f"(?P<{label.group(1)}>[^/]*)")
            routes.append(Route(api, operation, http["method"], re.compile("/" + "/".join(parts))))
    return routes


def match_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route and decoded path parameters for a request, or None."""
    for route in routes:
        if route.method != method:
            continue
        found = route.pattern.fullmatch(path)
        if found is not None:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its emulator and can drop open connections on stop."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.emulator = emulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (socket.getfqdn), which can hang
        # without DNS; the emulator has no use for it.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Shut down every connection still open (idle keep-alive ones included)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("error while handling a request", exc_info=True)


class RequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests; all logic lives in the emulator's service."""

    protocol_version = "HTTP/1.1"
    server_version = "dialkit-emulator"
    #: TCP_NODELAY: headers and body leave as two writes; with Nagle on, the body waited for the
    #: client's delayed ACK (~40 ms a call on Linux), which capped any client near 20 calls/s.
    disable_nagle_algorithm = True
    sys_version = ""
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header on the emulator's clock (an injected or advanced one too), as the service's own.

        Why: a client corrects its clock from the service's ``Date``; with the
        machine's time here, an emulator on an injected clock would tell the
        sender a skew that is not there.
        """
        if timestamp is None:
            timestamp = self.server.emulator.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Access log through :mod:`logging` (debug level), never to stderr, numbers masked."""
        logger.debug("%s %s", self.address_string(), mask_log_line(format % args))

    # ------------------------------------------------------------------ plumbing

    #: The most a request body may be.  The campaigns API takes at most 25 requests of a few KB each; a
    #: larger declared length is answered 400 without reading it (the service never hangs on a bad length).
    MAX_BODY = 10 * 1024 * 1024

    def _read_body(self) -> bytes | None:
        """The body, or ``None`` (after a 400 answer) when Content-Length is not a usable length."""
        declared = self.headers.get_all("Content-Length") or []
        text = declared[0].strip() if declared else "0"
        if len(set(declared)) > 1 or not text.isdigit() or int(text) > self.MAX_BODY:
            self.close_connection = True  # where the body ends is unknown: this connection cannot go on
            self._send(400, {"message": "The Content-Length header is not a valid length"}, "ValidationException")
            return None
        length = int(text)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: dict[str, Any] | None, error_type: str | None = None) -> None:
        payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        self._send_raw(status, payload, error_type)

    def _send_raw(self, status: int, payload: bytes, error_type: str | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client went away (read time-out, stop)

    def _dispatch(self) -> None:
        emulator = self.server.emulator
        received = emulator.now()  # the emulator's clock, which tests can move
        raw = self._read_body()
        if raw is None:
            return
        split = urlsplit(self.path)
        if split.path.startswith(CONTROL_PREFIX):
            self._control(split.path[len(CONTROL_PREFIX) :], parse_qs(split.query), raw)
            return
        found = match_route(emulator._routes, self.command, split.path)
        if found is None:
            emulator._service.log_call(None, "Unknown", 404)
            message = f"No operation at {self.command} {mask_log_line(split.path)}"
            self._send(404, {"message": message}, "UnknownOperationException")
            return
        route, params = found
        service = emulator._service
        if route.api == "connect":  # GetContactAttributes: the one Amazon Connect operation routed
            reply = emulator._contacts.handle(route.operation, params)
            service.log_call(route.api, route.operation, reply.status)
            self._send(reply.status, reply.body, reply.error_type)
            return
        if not service.implements(route.api, route.operation):
            service.log_call(route.api, route.operation, 501, campaign_id=params.get("id"))
            message = f"The dialkit emulator does not implement {route.operation}"
            self._send(501, {"message": message}, "NotImplementedException")
            return
        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):  # deeply nested: a 400 like the service, not a dropped connection
            service.log_call(route.api, route.operation, 400, campaign_id=params.get("id"))
            self._send(400, {"message": "The request body is not valid JSON"}, "ValidationException")
            return
        try:
            reply = service.handle(route.api, route.operation, params, body, received)
        except Exception:  # a bug in the emulator: answer like the service would
            logger.exception("the emulator failed on %s", route.operation)
            reply = Reply(500, {"message": "Internal error in the dialkit emulator"}, "InternalServerException")
        emulator._after_reply(reply)
        if reply.fault == "reset":
            self.close_connection = True  # processed and recorded; the response is lost
            return
        if reply.fault == "hang":
            emulator._sleep(reply.hang_seconds)
        self._send(reply.status, reply.body, reply.error_type)

    # ------------------------------------------------------------------ /_dialkit/ control endpoints

    def _control(self, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        emulator = self.server.emulator
        method = self.command
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, RecursionError):
            self._send(400, {"message": "The request body is not valid JSON"}, "ValidationException")
            return
        parts = path.strip("/").split("/")
        try:
            if method == "GET" and parts == ["health"]:
                self._send(200, emulator.health())
            elif method == "GET" and parts == ["dial-requests"]:
                campaign_id = next(iter(query.get("campaignId") or []), None)
                self._send(200, {"dialRequests": emulator.dial_requests(campaign_id)})
            elif method == "GET" and parts == ["contact-records"]:
                # concatenated JSON with no delimiter, the way Firehose writes contact records to S3
                from dialkit.emulator._records import to_firehose_text

                campaign_id = next(iter(query.get("campaignId") or []), None)
                self._send_raw(200, to_firehose_text(emulator.contact_records(campaign_id)).encode())
            elif parts == ["clock"] and method in ("GET", "POST", "PUT"):
                if method != "GET":
                    advance = body.get("advanceSeconds") if isinstance(body, dict) else None
                    if isinstance(advance, bool) or not isinstance(advance, (int, float)):
                        raise ValueError('the body must be {"advanceSeconds": <seconds to move the clock forward>}')
                    emulator.advance_clock(timedelta(seconds=advance))
                self._send(200, emulator.clock())
            elif parts[0] == "dialer" and (method, parts[1:]) in (("GET", []), ("POST", ["advance"])):
                dialer = emulator.dialer
                if dialer is None:
                    raise KeyError("this emulator runs no dialer model (start it with --dialer-lines N)")
                if method == "POST":
                    if not isinstance(body, dict) or not isinstance(body.get("seconds"), (int, float)):
                        raise ValueError('the body must be {"seconds": <simulated seconds to move forward>}')
                    dialer.advance(float(body["seconds"]))
                self._send(200, {"now": dialer.now().isoformat(), "waiting": dialer.waiting()})
            elif method == "GET" and parts == ["calls"]:
                self._send(200, {"calls": emulator.calls()})
            elif parts == ["faults"] and method in ("GET", "POST", "PUT"):
                if method != "GET":
                    if not isinstance(body, dict):
                        raise ValueError("the body must be a JSON object of fault settings")
                    emulator.set_faults(**body)
                self._send(200, {"faults": emulator.faults.to_dict()})
            elif len(parts) == 3 and parts[0] == "campaigns" and parts[2] == "state" and method in ("POST", "PUT"):
                campaign_id = unquote(parts[1])
                if not isinstance(body, dict) or not isinstance(body.get("state"), str):
                    raise ValueError('the body must be {"state": "<CampaignState>"}')
                emulator.set_campaign_state(campaign_id, body["state"])
                self._send(200, {"campaignId": campaign_id, "state": body["state"]})
            elif len(parts) == 2 and parts[0] == "campaigns" and method == "DELETE":
                emulator.delete_campaign(unquote(parts[1]))
                self._send(200, {"campaignId": unquote(parts[1]), "deleted": True})
            else:
                message = f"No control endpoint at {method} /_dialkit/{mask_log_line(path)}"
                self._send(404, {"message": message}, "UnknownOperationException")
        except KeyError as err:
            self._send(404, {"message": str(err.args[0]) if err.args else "not found"}, "ResourceNotFoundException")
        except (TypeError, ValueError) as err:
            self._send(400, {"message": str(err)}, "ValidationException")
