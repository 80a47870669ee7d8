"""Downloadable dumps of the graph and of its datasets, with the statistics VoID and DCAT need.

For each data version the dumps are written, streamed from the store, into a fresh folder, which
is then published by replacing a ``current`` symbolic link in one step: a reader sees the old
dumps or the new ones, never a half-written file. Files are gzip-compressed with a fixed header
(no time stamp), so the same data state gives the same bytes and the same checksums.

Datasets: the whole graph, the ontology, the shapes, the taxonomy, and one per Member State (its
NCC and the Community members established there). Formats: N-Quads, Turtle, JSON-LD.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from ccn_graph.model.iris import (
    COUNTRY_AUTHORITY,
    MEMBER_STATES,
    STORE_STATE_GRAPH,
    graph_iri,
)
from ccn_graph.publish.statistics import Tally
from ccn_graph.rdfio import formats
from ccn_graph.runtime import children
from ccn_graph.settings import Settings
from ccn_graph.sparql import queries, results
from ccn_graph.store import Endpoints, Store

__all__ = [
    "DUMP_FORMATS",
    "DumpsError",
    "Manifest",
    "build_dumps",
    "build_in_child",
    "current_manifest",
    "seconds_until_due",
    "wait_while_building",
]

DUMP_FORMATS = (formats.N_QUADS, formats.TURTLE, formats.JSON_LD)
KEEP = 2


@dataclasses.dataclass
class Manifest:
    """What a dump folder holds (read from and written to its ``manifest.json``)."""

    version: int
    datasets: dict
    statistics: dict
    folder: Path

    def file(self, name: str) -> Path | None:
        path = self.folder / name
        return path if path.is_file() and path.parent == self.folder else None


#: The manifest last read per dumps folder, with the folder it was read from: it names every
#: record graph (hundreds of kilobytes at 10,000 members), and the catalogue asks for it on every
#: request, while a published folder never changes.
_read: dict[Path, tuple[tuple, Manifest]] = {}


#: How long a build in the background pauses for each stretch of reading the store, relative to
#: that stretch: the store gives a rebuild at most a third of its time, the pages the rest.
BUILD_PACE = 2.0
_PACED_LINES = 5_000


def current_manifest(root: Path) -> Manifest | None:
    """The published dumps, or None before the first build."""
    link = root / "current"
    try:
        target = os.readlink(link)
        # A store loaded afresh counts versions from 1 again: the folder's name is not enough.
        stat = (root / target / "manifest.json").stat()
    except OSError:
        return None
    key = (target, stat.st_ino, stat.st_mtime_ns)
    known = _read.get(root)
    if known and known[0] == key:
        return known[1]
    try:
        data = json.loads((root / target / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    manifest = Manifest(
        data["version"], data["datasets"], data["statistics"], (root / target).resolve()
    )
    _read[root] = (key, manifest)
    return manifest


def _dataset_quads(store: Store, pace: float = 0.0) -> Iterator[tuple[str, tuple, tuple, tuple]]:
    """The store's quads; with `pace`, pausing `pace` times as long as each stretch of reading
    took: the store serialises the dataset at the priority of its queries, so a paced build
    takes at most 1/(1+pace) of the store's time while it runs."""
    stream = store.dataset_stream()
    try:
        started = time.monotonic()
        for n, line in enumerate(results.read_lines(stream.chunks)):
            quad = results.parse_nq_line(line)
            if quad is not None and quad[3] is not None:
                yield quad[3][1], quad[0], quad[1], quad[2]
            if pace and n % _PACED_LINES == _PACED_LINES - 1:
                time.sleep((time.monotonic() - started) * pace)
                started = time.monotonic()
    finally:
        stream.close()


class _Writers:
    """The three files of one dataset, written as the quads stream by."""

    def __init__(self, folder: Path, name: str) -> None:
        self.paths = {fmt: folder / f"{name}.{fmt.suffix}.gz" for fmt in DUMP_FORMATS}
        self.raw = {fmt: path.open("wb") for fmt, path in self.paths.items()}
        self.files = {
            fmt: gzip.GzipFile(
                filename="",
                mode="wb",
                fileobj=self.raw[fmt],
                mtime=0,
                # level 6: a few per cent larger than 9, half the time
                compresslevel=6,
            )
            for fmt in DUMP_FORMATS
        }
        self.first = True
        self.files[formats.JSON_LD].write(b"[")
        self.pending: dict[formats.RdfFormat, list[str]] = {fmt: [] for fmt in DUMP_FORMATS}

    def add(self, words: tuple[str, str, str]) -> None:
        """One quad, as its N-Quads line, N-Triples line and JSON-LD node (made once for every
        dataset it goes to); written in batches, as gzip costs per call."""
        nquad, ntriple, node = words
        self.pending[formats.N_QUADS].append(nquad)
        self.pending[formats.TURTLE].append(ntriple)
        self.pending[formats.JSON_LD].append(node if self.first else ",\n" + node)
        self.first = False
        if len(self.pending[formats.N_QUADS]) >= 4096:
            self._flush()

    def _flush(self) -> None:
        for fmt, lines in self.pending.items():
            if lines:
                self.files[fmt].write("".join(lines).encode())
                lines.clear()

    def close(self) -> dict:
        self._flush()
        self.files[formats.JSON_LD].write(b"]\n")
        described = {}
        for fmt, handle in self.files.items():
            handle.close()
            self.raw[fmt].close()
        for fmt, path in self.paths.items():
            data = path.read_bytes()
            described[fmt.suffix] = {
                "file": path.name,
                "media_type": fmt.media_type,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                # DCAT-AP 2.1.1 allows SHA-1 checksums only.
                "sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
            }
        return described


def _datasets(store: Store, base: str) -> list[dict]:
    """name, title and the graphs of each dataset (the whole graph: every graph)."""
    out = [
        {"name": "graph", "title": "CCN Graph: the whole knowledge graph", "graphs": None},
        {
            "name": "ontology",
            "title": "The CCN Graph ontology",
            "graphs": [graph_iri(base, "ontology")],
        },
        {
            "name": "shapes",
            "title": "The CCN Graph SHACL shapes",
            "graphs": [graph_iri(base, "shapes")],
        },
        {
            "name": "taxonomy",
            "title": "The JRC European Cybersecurity Taxonomy (SKOS)",
            "graphs": [graph_iri(base, "taxonomy")],
        },
    ]
    by_state: dict[str, list[str]] = {}
    for row in store.select(queries.load("dataset_graphs_of_states")):
        by_state.setdefault(str(row["state"]), []).append(str(row["g"]))
    for code in sorted(MEMBER_STATES):
        state = COUNTRY_AUTHORITY + MEMBER_STATES[code]
        out.append(
            {
                "name": f"member-state-{code.lower()}",
                "code": code,
                "state": state,
                "title": f"National Coordination Centre and Community members of {code}",
                "graphs": sorted(set(by_state.get(state, []))),
            }
        )
    return out


def build_dumps(
    store: Store,
    base: str,
    root: Path,
    on_published: Callable[[Manifest], None] | None = None,
    *,
    pace: float = 0.0,
) -> Manifest:
    """Write the dumps of the store's current data version (unless they exist) and publish them;
    then, still under the lock, call `on_published` with them (the catalogue's feed). `pace`: see
    `_dataset_quads` (the builder in a child process reads at `BUILD_PACE`).

    Only one process builds at a time (a lock file); the others return what is published.
    """
    state = store.state()
    version = state.data_version if state else 0
    root.mkdir(parents=True, exist_ok=True)
    published = current_manifest(root)
    if published and published.version == version:
        return published
    with (root / ".lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return published or _wait_for(store, base, root, version, lock)
        try:
            built = _build(store, base, root, version, pace)
            if on_published is not None:
                on_published(built)
            return built
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_while_building(root: Path) -> None:
    """Return once no process is building dumps in `root`."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_UN)


class DumpsError(RuntimeError):
    """A build in a child process failed; the message carries its last words."""


def build_in_child(settings: Settings, endpoints: Endpoints) -> None:
    """Build the dumps (`ccn-graph dumps`) in a child process at the lowest CPU priority, reading
    the store at `endpoints`, and wait for it to end.

    A build holds its Python interpreter for seconds per thousand members; in a child it never holds
    the one that serves pages, and it gets only the CPU the pages leave. The child dies with the
    calling thread's process (it is killed if that process is). Raises `DumpsError` if it fails.
    """
    environ = {
        **settings.environ(inherit=True),
        "CCN_STORE_URL": endpoints.query,
        "CCN_STORE_UPDATE_URL": endpoints.update,
        "CCN_STORE_GSP_URL": endpoints.graph_store,
    }
    done = children.run_ccn_graph(["dumps"], env=environ, nice=19)
    if done.returncode != 0:
        words = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-5:]
        raise DumpsError(
            f"building the dumps failed (exit status {done.returncode}): " + " / ".join(words)
        )


def _wait_for(store: Store, base: str, root: Path, version: int, lock) -> Manifest:
    """Wait for the builder that holds the lock; if it published nothing (it was killed), build."""
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        return current_manifest(root) or _build(store, base, root, version)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)


def seconds_until_due(root: Path, every: float) -> float:
    """How long to wait before the next build may start: `every` seconds after the last one
    started (0 if none did)."""
    try:
        started = (root / ".started").stat().st_mtime
    except OSError:
        return 0.0
    return max(0.0, started + every - time.time())


# size: one pass over the store writes every format, the checksums and the manifest
def _build(store: Store, base: str, root: Path, version: int, pace: float = 0.0) -> Manifest:
    """Build under the lock: a temporary folder left by a build that was killed is removed."""
    (root / ".started").touch()
    for left in root.glob(".tmp-*"):
        shutil.rmtree(left, ignore_errors=True)
    target = root / f"v{version}"
    temporary = root / f".tmp-{uuid.uuid4().hex}"
    temporary.mkdir()
    modified = {
        str(r["graph"]): str(r["modified"]) for r in store.select(queries.load("last_changes"))
    }
    datasets = {}
    tally = Tally()
    chosen = _datasets(store, base)
    writers = {d["name"]: _Writers(temporary, d["name"]) for d in chosen}
    counts = Counter()
    # One pass over the whole dataset feeds every dump: each quad goes to the whole graph's and to
    # those of the datasets holding its graph (a query per dataset read the graph twice).
    holders: dict[str, list[str]] = {}
    for dataset in chosen:
        for graph in dataset["graphs"] or ():
            holders.setdefault(graph, []).append(dataset["name"])
    whole = writers["graph"]
    for g, s, p, o in _dataset_quads(store, pace):
        # The statistics describe what the endpoint answers from, the store's own state included;
        # the dumps leave that state out (it names this deployment, not the data).
        tally.add(s, p, o)
        if g == STORE_STATE_GRAPH:
            continue
        triple = f"{results.term_text(s)} {results.term_text(p)} {results.term_text(o)}"
        node = {"@id": s[1] if s[0] == "uri" else f"_:{s[1]}", p[1]: [results.jsonld_object(o)]}
        words = (f"{triple} <{g}> .\n", f"{triple} .\n", json.dumps(node, ensure_ascii=False))
        whole.add(words)
        counts["graph"] += 1
        for name in holders.get(g, ()):
            writers[name].add(words)
            counts[name] += 1
    for dataset in chosen:
        name, graphs = dataset["name"], dataset["graphs"]
        changed = (
            [modified[g] for g in graphs if g in modified]
            if graphs is not None
            else list(modified.values())
        )
        datasets[name] = {
            **{k: v for k, v in dataset.items() if k != "graphs"},
            "graphs": graphs,
            "triples": counts[name],
            "files": writers[name].close(),
            "modified": max(changed) if changed else None,
        }
    statistics = tally.as_manifest()
    manifest = {"version": version, "datasets": datasets, "statistics": statistics}
    (temporary / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=1))
    if target.exists():
        shutil.rmtree(target)
    temporary.rename(target)
    link = root / f".link-{uuid.uuid4().hex}"
    os.symlink(target.name, link)
    os.replace(link, root / "current")
    for old in sorted(
        root.glob("v*"), key=lambda p: int(p.name[1:]) if p.name[1:].isdigit() else -1
    )[:-KEEP]:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
    return Manifest(version, datasets, statistics, target)
