"""Shared by the connector tests: recorded answers and a routing MockTransport handler."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

RECORDED = Path(__file__).parent / "recorded"
PASSWORD = "Xq7t 9Lmn Pz3R 4sVw K8yB 2cHd"  # an application password, spaces and all
USER = "editor"
API = "https://blog.example.org/wp-json/"
XMLRPC = "https://blog.example.org/xmlrpc.php"


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def recorded_json(name: str) -> Any:
    return json.loads(recorded(name))


def json_response(status: int, name_or_data: Any, headers: dict[str, str] | None = None):
    """A response with a recorded file's bytes (name ending in .json) or data as JSON."""
    if isinstance(name_or_data, str) and name_or_data.endswith(".json"):
        body = recorded(name_or_data)
    else:
        body = json.dumps(name_or_data).encode()
    all_headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    return httpx.Response(status, content=body, headers=all_headers)


def xml_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=recorded(name), headers={"Content-Type": "text/xml; charset=UTF-8"}
    )


class Router:
    """A MockTransport handler: the first route whose method and regex match answers.

    `routes` are (method, path regex, answer); an answer is an httpx.Response or a callable
    taking the request. Every request is kept in `requests`.
    """

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Any]] = []
        self.requests: list[httpx.Request] = []

    def add(self, method: str, pattern: str, answer: Any) -> Router:
        self.routes.append((method.upper(), re.compile(pattern), answer))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        target = request.url.path
        if "rest_route" in request.url.params:
            target = request.url.params["rest_route"]
        for method, pattern, answer in self.routes:
            if method == request.method and pattern.fullmatch(target):
                return answer(request) if callable(answer) else answer
        return json_response(404, "rest/error_rest_no_route.json")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def sent(self, method: str, pattern: str) -> list[httpx.Request]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.fullmatch(r.url.path)]


def raising(exc_factory: Callable[[httpx.Request], Exception]):
    """An answer that raises, as httpx's transports do on network failures."""

    def answer(request: httpx.Request) -> httpx.Response:
        raise exc_factory(request)

    return answer
