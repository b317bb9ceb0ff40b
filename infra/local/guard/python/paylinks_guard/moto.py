"""moto's server on 127.0.0.1, refusing what a web page sends.

Run by emulators.sh with the venv's Python in place of moto_server:

    PYTHONPATH=infra/local/guard/python .tools/venv/bin/python -m paylinks_guard.moto -p PORT

It serves the same WSGI app as moto_server (moto.server.main: a
DomainDispatcherApplication over create_backend_app, with moto's request
handler), always on 127.0.0.1, with moto's global CORS off
(MOTO_DISABLE_GLOBAL_CORS: moto echoed any Origin back as allowed) and a
middleware in front that answers 403 to what paylinks_guard.refusal refuses.
SQS's query protocol takes form posts, which a page may send to any address
without a preflight.
"""

import argparse
import os
import signal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from paylinks_guard import LOOPBACK, refusal

# moto reads its settings when first imported.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple  # noqa: E402


class Guard:
    """WSGI middleware: answers 403 to browser-sent requests before moto sees them."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        why = refusal(
            environ.get("REQUEST_METHOD", ""),
            environ.get("HTTP_ORIGIN"),
            environ.get("HTTP_SEC_FETCH_SITE"),
            environ.get("HTTP_HOST"),
        )
        if why is None:
            return self.app(environ, start_response)
        body = (why + "\n").encode("utf-8")
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="moto's server on 127.0.0.1, refusing browser-sent requests")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    # As moto_server does: moto builds some URLs from it.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(LOOPBACK, args.port, Guard(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
