"""What the fake answers, independent of the socket that carries it."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

JSON: str = "application/json"


@dataclass(frozen=True, slots=True)
class Response:
    """A complete answer; the transport adds Content-Length (always) and Content-Type."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON
    headers: tuple[tuple[str, str], ...] = ()


def error_body(code: str, message: str) -> bytes:
    """VirusTotal's error body: `{"error": {"code": ..., "message": ...}}`, nothing else."""
    return json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")


class ApiError(Exception):
    """An error the fake answers with VirusTotal's JSON error body."""

    def __init__(
        self, status: int, code: str, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def response(self) -> Response:
        """The error as the API sends it."""
        return Response(self.status, error_body(self.code, self.message), JSON, self.headers)


def asks_for_gzip(headers: dict[str, str]) -> bool:
    """Whether VirusTotal's front end (Google App Engine) would compress for this client:
    a User-Agent containing "gzip" and gzip in Accept-Encoding. Accept-Encoding alone is
    not enough there, which is why VirusTotal's own clients end their User-Agent with
    "; gzip"."""
    agent = headers.get("user-agent", "").lower()
    offered = headers.get("accept-encoding", "").lower().split(",")
    offered = [part.split(";")[0].strip() for part in offered]
    return "gzip" in agent and "gzip" in offered


def gzipped(response: Response) -> Response:
    """`response` with its body gzip-compressed (Content-Encoding: gzip)."""
    if not response.body:
        return response
    body = gzip.compress(response.body, compresslevel=6, mtime=0)
    headers = (*response.headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"))
    return Response(response.status, body, response.content_type, headers)
