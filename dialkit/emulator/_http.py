"""The HTTP front of the emulator: restJson1 routing and (de)serialisation.

Routes are read from the botocore service models (method + ``requestUri`` of every
operation of ``connectcampaigns`` and ``connectcampaignsv2``), so a path the real
service answers is a path the emulator recognises.  Errors go out the way
restJson1 services send them: HTTP status, header ``x-amzn-ErrorType: <Name>``,
JSON body ``{"message": ...}`` plus the exception's other members.

Like AWS's front door, a call to the campaigns API without a SigV4 signature
(no ``Authorization: AWS4-HMAC-SHA256 ...`` header and no presigned
``X-Amz-Signature`` query) is refused before it is routed: 403 with
``x-amzn-ErrorType: MissingAuthenticationTokenException`` and ``{"message":
"Missing Authentication Token"}`` (botocore raises ``ClientError`` with code
``MissingAuthenticationTokenException``); a header that is not SigV4 answers
403 ``IncompleteSignatureException``.  The signature itself is not checked:
the emulator accepts any credentials (that is why it binds loopback only).

STS ``GetCallerIdentity`` (query protocol: ``POST /`` with
``Action=GetCallerIdentity``) is answered too, so ``dialkit doctor`` can check
that credentials resolve against the emulator: the emulator's fictional account
and role.

Control endpoints for tests and notebooks live under ``/_dialkit/`` and need no
signature.  They read
dialed numbers and change the emulator's state, so a web page open in the
analyst's browser must not reach them: they answer only a loopback ``Host``
(``127.0.0.1``, ``localhost``, ``[::1]``, or the address the emulator was
bound to), which defeats DNS rebinding; a request carrying a non-loopback
``Origin`` is refused; and every request that changes state must be
``Content-Type: application/json``, which a cross-origin page cannot send
without a CORS preflight the emulator never grants (a ``text/plain`` or form
POST is refused with 415).  Values are checked (finite, in range: the clock
moves at most ten years (:data:`dialkit.emulator._clock.MAX_ADVANCE`) per call); a failure inside a control
endpoint is answered 500 and the emulator keeps serving.
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

from dialkit._util.loopback import is_loopback_host
from dialkit.emulator._clock import checked_advance
from dialkit.emulator._service import ACCOUNT_ID, Reply
from dialkit.masking import mask_phone

if TYPE_CHECKING:  # pragma: no cover
    from dialkit.emulator._emulator import Emulator

logger = logging.getLogger("dialkit.emulator")

CONTROL_PREFIX = "/_dialkit/"

#: The role STS GetCallerIdentity names (the same one the AccessDenied fault's message names).
CALLER_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/dialkit-analyst/session"
_STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
#: STS's own codes for the two credential faults the emulator injects: (status, Code).
_STS_CREDENTIAL_ERRORS = {
    "UnrecognizedClientException": (
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ),
    "ExpiredTokenException": (400, "ExpiredToken", "The security token included in the request is expired"),
}


def signature_problem(authorization: str | None, query: str) -> tuple[str, str] | None:
    """Why a request is not SigV4-signed, as AWS's front door says it: ``(error type, message)``; None when signed.

    Signed means an ``Authorization`` header that starts ``AWS4-HMAC-SHA256 `` and names
    ``Credential=``, ``SignedHeaders=`` and ``Signature=``, or a presigned query with
    ``X-Amz-Signature``.  The signature itself is not verified.
    """
    if "X-Amz-Signature=" in query:
        return None
    if not authorization or not authorization.strip():
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    text = authorization.strip()
    if not text.startswith("AWS4-HMAC-SHA256 ") or not all(
        f"{part}=" in text for part in ("Credential", "SignedHeaders", "Signature")
    ):
        return (
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters "
            "of an AWS4-HMAC-SHA256 signature",
        )
    return None


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

    def _dispatch(self) -> None:  # noqa: C901 (routing: control, front door, service)
        emulator = self.server.emulator
        received = emulator.now()  # the emulator's clock, which tests can move
        raw = self._read_body()
        if raw is None:
            return
        split = urlsplit(self.path)
        if split.path.startswith(CONTROL_PREFIX):
            self._dispatch_control(split.path[len(CONTROL_PREFIX) :], split.query, raw)
            return
        service = emulator._service
        if self._front_door(split.path, split.query, raw):
            return
        found = match_route(emulator._routes, self.command, split.path)
        if found is None:
            service.log_call(None, "Unknown", 404)
            message = f"No operation at {self.command} {mask_log_line(split.path)}"
            self._send(404, {"message": message}, "UnknownOperationException")
            return
        route, params = found
        if route.api == "connect":  # GetContactAttributes: the one Amazon Connect operation routed
            reply = emulator._contacts.handle(route.operation, params)
            service.log_call(route.api, route.operation, reply.status)
            self._send(reply.status, reply.body, reply.error_type)
            return
        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):  # deeply nested: a 400 like the service, not a dropped connection
            service.log_call(route.api, route.operation, 400, campaign_id=params.get("id"))
            self._send(400, {"message": "The request body is not valid JSON"}, "ValidationException")
            return
        if not service.implements(route.api, route.operation):
            # never kinder than the service: a request the model refuses is a 400 before it is a 501
            refused = service.validate_only(route.api, route.operation, params, body)
            if refused is None:
                service.log_call(route.api, route.operation, 501, campaign_id=params.get("id"))
                message = f"The dialkit emulator does not implement {route.operation}"
                refused = Reply(501, {"message": message}, "NotImplementedException")
            self._send(refused.status, refused.body, refused.error_type)
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

    # ------------------------------------------------------------------ STS (query protocol)

    def _sts(self, raw: bytes, unsigned: tuple[str, str] | None) -> None:
        """``sts:GetCallerIdentity`` on ``POST /``: the emulator's account and role, in STS's XML.

        Unsigned, it is STS's own 403 ``MissingAuthenticationToken`` (``IncompleteSignature``
        for a header that is not SigV4), in XML as the query protocol sends errors.
        """
        from xml.sax.saxutils import escape

        service = self.server.emulator._service
        form = parse_qs(raw.decode("utf-8", "replace"))
        action = next(iter(form.get("Action") or []), "")
        request_id = str(uuid.uuid4())
        injected = service.faults.errors.get("GetCallerIdentity") or service.faults.errors.get("*")
        if unsigned is not None:
            status, code = 403, unsigned[0].removesuffix("Exception")
            message = "Request is missing Authentication Token" if code == "MissingAuthenticationToken" else unsigned[1]
        elif action == "GetCallerIdentity" and injected in _STS_CREDENTIAL_ERRORS:
            status, code, message = _STS_CREDENTIAL_ERRORS[injected]
        elif action != "GetCallerIdentity":
            status, code, message = (
                400,
                "InvalidAction",
                f"The dialkit emulator answers only GetCallerIdentity of STS, not {action or 'no Action'}",
            )
        else:
            service.log_call("sts", "GetCallerIdentity", 200)
            body = (
                f'<GetCallerIdentityResponse xmlns="{_STS_NAMESPACE}"><GetCallerIdentityResult>'
                f"<Arn>{CALLER_ARN}</Arn><UserId>AROADIALKITEMULATOR:session</UserId><Account>{ACCOUNT_ID}</Account>"
                f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId>"
                "</ResponseMetadata></GetCallerIdentityResponse>"
            )
            self._send_xml(200, body)
            return
        service.log_call("sts", action or "Unknown", status)
        body = (
            f'<ErrorResponse xmlns="{_STS_NAMESPACE}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        self._send_xml(status, body)

    def _send_xml(self, status: int, body: str) -> None:
        payload = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def _front_door(self, path: str, query: str, raw: bytes) -> bool:
        """What AWS answers before routing (STS at ``POST /``, unsigned calls refused); True when answered."""
        unsigned = signature_problem(self.headers.get("Authorization"), query)
        if self.command == "POST" and path in ("", "/"):
            self._sts(raw, unsigned)
            return True
        if unsigned is not None:  # AWS's front door: the service never sees the call
            self.server.emulator._service.log_call(None, "Unsigned", 403)
            self._send(403, {"message": unsigned[1]}, unsigned[0])
            return True
        return False

    # ------------------------------------------------------------------ /_dialkit/ control endpoints

    def _dispatch_control(self, path: str, query: str, raw: bytes) -> None:
        """A ``/_dialkit/`` call: refused unless loopback and JSON, then handled; never kills the server."""
        refusal = self._control_refusal()
        if refusal is not None:
            self._send(*refusal)
            return
        try:
            self._control(path, parse_qs(query), raw)
        except Exception:  # a bug or a value the checks missed: answer, keep serving
            logger.exception("the emulator failed on a control call")
            self._send(500, {"message": "Internal error in the dialkit emulator"}, "InternalServerException")

    def _control_refusal(self) -> tuple[int, dict[str, Any], str] | None:
        """Why a control call is refused (status, body, error type), or None: Host, Origin, Content-Type."""
        host = _host_name(self.headers.get("Host", ""))
        bound = str(self.server.server_address[0])
        if not (is_loopback_host(host) or host == bound.strip("[]")):
            return (
                403,
                {"message": "control endpoints answer only a loopback Host (127.0.0.1, localhost, [::1])"},
                ("AccessDeniedException"),
            )
        origin = self.headers.get("Origin")
        if origin is not None and not is_loopback_host(_host_name(urlsplit(origin).netloc)):
            return 403, {"message": "control endpoints refuse cross-origin requests"}, "AccessDeniedException"
        if self.command != "GET":
            kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if kind != "application/json":
                return (
                    415,
                    {"message": "control endpoints take Content-Type: application/json bodies only"},
                    ("UnsupportedMediaTypeException"),
                )
        return None

    def _control(self, path: str, query: dict[str, list[str]], raw: bytes) -> None:  # noqa: C901, PLR0912
        emulator = self.server.emulator
        method = self.command
        try:
            body = json.loads(raw, parse_constant=_refuse_constant) if raw.strip() else {}
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
                    emulator.advance_clock(_advance(advance, "advanceSeconds", emulator.now()))
                self._send(200, emulator.clock())
            elif parts[0] == "dialer" and (method, parts[1:]) in (("GET", []), ("POST", ["advance"])):
                dialer = emulator.dialer
                if dialer is None:
                    raise KeyError("this emulator runs no dialer model (start it with --dialer-lines N)")
                if method == "POST":
                    seconds = body.get("seconds") if isinstance(body, dict) else None
                    dialer.advance(_advance(seconds, "seconds", dialer.now()).total_seconds())
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


def _host_name(host: str) -> str:
    """The host part of a ``Host`` header or an origin's netloc (port and brackets dropped)."""
    host = host.strip()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _advance(value: Any, field_name: str, now: Any) -> timedelta:
    """``value`` seconds as a forward move of a clock now at ``now`` (:func:`checked_advance`; 400 when refused)."""
    if isinstance(value, timedelta):  # JSON never gives one; seconds only on the wire
        raise ValueError(f"{field_name} must be a number of seconds")
    return checked_advance(value, field_name, now)
