"""Answers served from the per-version cache (`ccn_graph.runtime.cache`), for the views that opt in.

The key is what decides an answer: path, query string (and host, for views that name it), and
the ``Accept`` and ``Accept-Language`` headers. The data version is read before the view runs, so
a kept answer reflects at least that version; a write moves the store to a new version, under
which nothing is kept yet. Only complete ``200`` answers are kept — a streamed answer is kept once
it has been sent whole and within the size bound. Every answer gets an ``ETag`` (the view's own,
or one derived from version and key) and ``304`` for a matching ``If-None-Match``.
``CCN-Cache: hit|miss`` tells which it was.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

from flask import Response, make_response, request

from ccn_graph.runtime.cache import CachedResponse, ResponseCache
from server import context

_NOT_KEPT = {"content-length", "date", "set-cookie", "ccn-cache"}

__all__ = ["StreamedAnswer", "cached"]


class StreamedAnswer(Response):
    """A streamed answer that may learn only while it is sent that it is not whole (a result the
    store broke off): the view calls `cut`, and the cache does not keep it."""

    whole = True

    def cut(self) -> None:
        self.whole = False


def cached(
    view: Callable | None = None,
    *,
    per_host: bool = False,
    version: Callable[[], str] | None = None,
    params: tuple[str, ...] | None = None,
) -> Callable:
    """Serve `view` from the cache. `per_host`: its answers name the URL they were asked at
    (the sitemap, the service description), so the host is part of the key — a forged Host
    header must never reach anyone else's answer. `version`: what the answers depend on, when
    it is not the data generation (the catalogue describes the dumps last published). `params`:
    the query parameters the view reads, when it reads only these; the others are left out of the
    key, so that ``?x=1``, ``?x=2``… are one answer, not a fresh computation each."""
    if view is None:
        return functools.partial(cached, per_host=per_host, version=version, params=params)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache: ResponseCache | None = context.services().cache
        if cache is None or request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        current = (version() if version else context.generation()) or "empty"
        query = (
            request.query_string.decode("latin-1")
            if params is None
            else urlencode(
                sorted((name, value) for name in params for value in request.args.getlist(name))
            )
        )
        key = cache.key(
            request.host if per_host else "",
            request.path,
            query,
            request.headers.get("Accept", ""),
            request.headers.get("Accept-Language", ""),
            request.headers.get("Accept-Profile", ""),
        )
        hit = cache.get(key, current)
        if hit is not None:
            response = Response(hit.body, status=hit.status, headers=hit.headers)
            response.headers["CCN-Cache"] = "hit"
            return response.make_conditional(request)
        response = make_response(view(*args, **kwargs))
        response.headers["CCN-Cache"] = "miss"
        if response.status_code != 200:
            return response
        if not response.get_etag()[0]:
            response.set_etag(hashlib.sha256(f"{current}|{key}".encode()).hexdigest()[:32])
        if response.is_streamed:
            response.response = _tee(response.response, cache, key, current, response)
            return response
        cache.put(key, current, _entry(response, response.get_data()))
        return response.make_conditional(request)

    return wrapper


def _entry(response: Response, body: bytes) -> CachedResponse:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _NOT_KEPT}
    return CachedResponse(response.status_code, headers, body)


def _tee(
    chunks: Iterable, cache: ResponseCache, key: str, version: str, response: Response
) -> Iterator[bytes]:
    """Pass `chunks` on; keep the whole body once it has all gone out, if it is small enough."""
    parts: list[bytes] | None = []
    size = 0
    for chunk in chunks:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        if parts is not None:
            size += len(data)
            if size <= cache.max_entry:
                parts.append(data)
            else:
                parts = None
        yield data
    whole = response.whole if isinstance(response, StreamedAnswer) else True
    if parts is not None and whole:
        cache.put(key, version, _entry(response, b"".join(parts)))
