"""One structured (JSON) log line per request: method, path, status, duration."""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("ccn_graph.requests")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()
        g.request_cpu_started = time.thread_time()

    @app.after_request
    def _log_request(response: Response) -> Response:
        if not log.isEnabledFor(logging.INFO):
            return response
        started = g.get("request_started", time.perf_counter())
        log.info(
            json.dumps(
                {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    # This thread's CPU time (a streamed body is written after this line).
                    "cpu_ms": round(
                        (time.thread_time() - g.get("request_cpu_started", time.thread_time()))
                        * 1000,
                        2,
                    ),
                }
            )
        )
        return response
