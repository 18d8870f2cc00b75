"""Runs moto's server with one request inside moto at a time.

moto_server serves requests on many threads, and moto's DynamoDB is not safe for that:
TransactWriteItems deep-copies each table it touches as a rollback point, and puts that copy
back when a condition fails. A write from another thread between the copy and the rollback
is lost, although it was acknowledged, and a write during the copy makes the copy fail with
HTTP 500. Here each connection still gets its own thread, so an idle keep-alive connection
does not hold up other clients, but a lock lets only one request into moto at a time. Requests on loopback
take a few milliseconds, so the suites stay fast.

Usage: serve.py HOST PORT
"""

import os
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    # moto_server sets this too; moto builds some URLs from it.
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        # The DynamoDB and S3 responses the tests use come back from moto 5.2.5 as complete
        # bodies, so moto's work for them is done when the call returns.
        with lock:
            return app(environ, start_response)

    run_simple(host, port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
