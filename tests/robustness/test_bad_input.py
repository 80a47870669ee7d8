"""Over 5,000 malformed and hostile requests against the real service (`ccn-graph serve`: gunicorn
workers and the managed Oxigraph server): every one answered with a 4xx and a message; no 5xx,
no hang, no process lost, no traceback in the log, and the service answers as before after it."""

from __future__ import annotations

import collections
import dataclasses
import http.client
import json
import socket
import threading
import time
import urllib.parse

from ..figures import record
from ..test_service import Service, oxigraph_pid
from .conftest import LIMITS
from .corpus import Case, cases, raw_requests

SEED = 20261127
ANSWER_TIMEOUT = 20.0


def processes(running: Service, data) -> tuple[int, int, frozenset[tuple[int, str]]]:
    """The service, its store, and its long-lived descendants (workers, store) with their commands;
    a dumps build (a child that ends when the dumps are written) is not one of them."""
    out = set()
    for pid in running.descendants():
        try:
            command = (
                open(f"/proc/{pid}/cmdline", "rb")
                .read()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
        except OSError:
            continue
        if "ccn_graph.cli dumps" not in command:
            out.add((pid, command[:120]))
    return running.process.pid, oxigraph_pid(data), frozenset(out)


def has_message(body: bytes, content_type: str) -> bool:
    """A person can read what went wrong: problem details with a message, or a text of some
    length."""
    if content_type.startswith(("application/json", "application/problem+json")):
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            return False
        return len(message) >= 10
    return len(body.strip()) >= 10


def send(
    port: int, case: Case, tokens: dict, local: threading.local
) -> tuple[int | None, bool, float, str]:
    """(status or None, whether the answer has a message, seconds, error) for one case."""
    headers = dict(case.headers)
    if case.auth:
        headers["Authorization"] = f"Bearer {tokens[case.auth]}"
    started = time.perf_counter()
    for attempt in range(3):
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=ANSWER_TIMEOUT
            )
        try:
            connection.request(case.method, case.path, body=case.body or None, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                local.connection = None
            location = response.getheader("Location")
            if 300 <= response.status < 400 and location and case.method == "GET" and not attempt:
                # A redirect is no answer yet: where it leads must refuse the input.
                case = dataclasses.replace(
                    case,
                    path=urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl(),
                )
                continue
            return (
                response.status,
                has_message(body, response.getheader("Content-Type", "")),
                time.perf_counter() - started,
                "",
            )
        except TimeoutError:
            connection.close()
            local.connection = None
            return None, False, time.perf_counter() - started, "hang"
        except (ConnectionError, http.client.HTTPException) as exc:
            # A keep-alive connection the server closed after its previous answer: once more.
            connection.close()
            local.connection = None
            if attempt == 2:
                return None, False, time.perf_counter() - started, f"no answer: {exc!r}"
    raise AssertionError("unreachable")


def send_raw(port: int, raw: bytes) -> tuple[int | None, bool, str]:
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before reading everything
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            return None, False, "hang"
        except ConnectionResetError:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        return None, False, f"no answer: {data[:80]!r}"
    status = int(head.split()[1])
    content_type = next(
        (
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")[1:]
            if line.lower().startswith(b"content-type:")
        ),
        "",
    )
    return status, has_message(body, content_type), ""


def test_the_bad_input_corpus_gets_4xx_with_messages_and_nothing_breaks(service):
    running, tokens, data = service
    before = processes(running, data)
    corpus = cases(SEED, limits=LIMITS)
    assert len(corpus) >= 5000
    results: list[tuple[Case, tuple]] = []
    lock, local = threading.Lock(), threading.local()
    todo = iter(corpus)

    def work():
        while True:
            with lock:
                case = next(todo, None)
            if case is None:
                return
            try:
                outcome = send(running.port, case, tokens, local)
            except Exception as exc:  # noqa: BLE001 - a case the client could not send fails the test
                outcome = (None, False, 0.0, f"not sent: {exc!r}")
            with lock:
                results.append((case, outcome))

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    raw = [(kind, send_raw(running.port, body)) for kind, body in raw_requests(LIMITS)]
    seconds = time.perf_counter() - started

    statuses = collections.Counter(outcome[0] for _, outcome in results) + collections.Counter(
        r[0] for _, r in raw
    )
    wrong = [
        (case.kind, case.method, case.path[:80], outcome)
        for case, outcome in results
        if outcome[0] is None or not 400 <= outcome[0] < 500 or not outcome[1]
    ]
    wrong += [
        (kind, "raw", "", outcome)
        for kind, outcome in raw
        if outcome[0] is None or not 400 <= outcome[0] < 500 or not outcome[1]
    ]
    after = processes(running, data)
    log = running.output()
    suite = "bad input"
    kinds = {c.kind for c in corpus} | {k for k, _ in raw}
    total = len(results) + len(raw)
    figures = [
        record(suite, "requests sent", total, ">= 5,000", total >= 5000),
        record(suite, "kinds of input", len(kinds), ">= 40", len(kinds) >= 40),
        record(
            suite,
            "responses with status 5xx",
            sum(n for s, n in statuses.items() if s and s >= 500),
            "0",
            not any(s and s >= 500 for s in statuses),
        ),
        record(
            suite,
            "hangs (no answer within 20 s)",
            sum(1 for _, o in results if o[3] == "hang") + sum(1 for _, o in raw if o[2] == "hang"),
            "0",
            not any(o[3] == "hang" for _, o in results) and not any(o[2] == "hang" for _, o in raw),
        ),
        record(suite, "answers that are not a 4xx with a message", len(wrong), "0", not wrong),
        record(
            suite,
            "processes lost or restarted (service, store, workers)",
            sorted(before[2] ^ after[2]),
            "none",
            before == after,
        ),
        record(
            suite,
            "tracebacks in the service log",
            log.count("Traceback"),
            "0",
            "Traceback" not in log,
        ),
        record(
            suite,
            "slowest answer (s)",
            round(max(o[2] for _, o in results), 2),
            f"< {ANSWER_TIMEOUT}",
            True,
        ),
        record(suite, "seconds for the corpus", round(seconds, 1), "informative", True),
    ]
    by_kind = collections.Counter(kind for kind, *_ in wrong)
    assert all(figures), "\n".join(
        [str(dict(by_kind)), str(dict(statuses))] + [repr(w) for w in wrong[:60]]
    )
    assert running.health().status_code == 200
