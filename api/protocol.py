"""uvicorn's HTTP/1.1 protocol, answering a request it cannot parse in the API's JSON error shape.

uvicorn's own 400 is plain text, sent before any route or handler of the app sees the request. A
module of its own (imported only by `serve`), so that worker processes can import it by name.
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class JsonErrorH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            {"error": {"code": "bad_request", "message": f"The HTTP request is malformed ({msg.rstrip('.')})."}}
        ).encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
