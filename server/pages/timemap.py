"""The TimeMap of a record (RFC 7089 §5) in its three forms: link format, JSON and a page."""

from __future__ import annotations

import dataclasses
import json

from flask import url_for

from ccn_graph import history
from ccn_graph.rdfio import formats
from server.pages.entity import link
from server.urls import absolute, document_url

__all__ = ["TimeMap", "as_json", "as_link_format", "memento_url", "page_view"]

_LINK_FORMAT = formats.LINK_FORMAT.media_type


def memento_url(path: str, number: int, suffix: str | None = None) -> str:
    return url_for(
        "history.memento", path=path, number=f"{number}.{suffix}" if suffix else str(number)
    )


@dataclasses.dataclass(frozen=True)
class TimeMap:
    """One page (`page` of `pages`) of the mementos of the record at ``/doc/{path}``: `kept`
    all of them, oldest first, `shown` those of the page."""

    path: str
    iri: str
    kept: list[history.Version]
    shown: list[history.Version]
    page: int
    pages: int

    def page_url(self, n: int, media: str | None = None) -> str:
        return url_for(
            "history.timemap",
            path=self.path,
            **({"page": n} if n > 1 else {}),
            **({"format": media} if media else {}),
        )

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def as_link_format(t: TimeMap) -> str:
    first, last = t.kept[0], t.kept[-1]
    lines = [
        f'<{absolute(document_url(t.path))}>; rel="original"',
        f'<{absolute(url_for("history.timegate", path=t.path))}>; rel="timegate"',
        (
            f'<{absolute(t.page_url(t.page))}>; rel="self"; type="{_LINK_FORMAT}"; '
            f'from="{history.http_date(t.shown[0].time)}"; '
            f'until="{history.http_date(t.shown[-1].time)}"'
        ),
    ]
    if t.previous:
        lines.append(f'<{absolute(t.page_url(t.previous))}>; rel="prev"; type="{_LINK_FORMAT}"')
    if t.next:
        lines.append(f'<{absolute(t.page_url(t.next))}>; rel="next"; type="{_LINK_FORMAT}"')
    for v in t.shown:
        rel = " ".join(
            [*(["first"] if v is first else []), *(["last"] if v is last else []), "memento"]
        )
        lines.append(
            f'<{absolute(memento_url(t.path, v.number))}>; rel="{rel}"; '
            f'datetime="{history.http_date(v.time)}"'
        )
    return ",\n".join(lines) + "\n"


def as_json(t: TimeMap) -> str:
    def entry(v: history.Version) -> dict:
        return {
            "datetime": v.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "uri": absolute(memento_url(t.path, v.number)),
            "change": history.kind_name(v.kind),
        }

    document = {
        "original_uri": absolute(document_url(t.path)),
        "timegate_uri": absolute(url_for("history.timegate", path=t.path)),
        "timemap_uri": {
            "link_format": absolute(t.page_url(t.page)),
            "json_format": absolute(t.page_url(t.page, "json")),
        },
        "mementos": {
            "first": entry(t.kept[0]),
            "last": entry(t.kept[-1]),
            "list": [entry(v) for v in t.shown],
        },
        "pages": {
            "count": t.pages,
            **({"prev": absolute(t.page_url(t.previous, "json"))} if t.previous else {}),
            **({"next": absolute(t.page_url(t.next, "json"))} if t.next else {}),
        },
    }
    return json.dumps(document, indent=1)


def page_view(t: TimeMap) -> dict:
    """What timemap.html shows: the versions of the page, newest first."""
    return {
        "path": t.path,
        "iri": t.iri,
        "original": document_url(t.path),
        "page": t.page,
        "pages": t.pages,
        "rows": [
            {
                "number": v.number,
                "time": f"{v.time:%Y-%m-%d %H:%M:%S}",
                "change": history.kind_name(v.kind),
                "href": memento_url(t.path, v.number),
                "activity": link(v.activity)["href"] if v.activity else None,
            }
            for v in reversed(t.shown)
        ],
        "prev": t.page_url(t.previous) if t.previous else None,
        "next": t.page_url(t.next) if t.next else None,
    }
