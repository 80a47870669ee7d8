"""Synthetic Community members for demonstrations, tests and benchmarks.

No real Community member is in the reference data (no public list exists), so load, search and
paging are exercised on members made here. They are never mixed silently with reference data:
their IRIs have their own space (``{base}id/synthetic-member/…``), so each sits in its own record
graph ``{base}graph/synthetic-member/…``; each is flagged ``ccn:synthetic true``, named
"Synthetic member …", and its web and mail addresses are under the reserved ``.example`` domain.
Synthetic projects (with synthetic calls and topics) draw their participants from the synthetic
members of the same seed. The same seed always gives the same records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from typing import TextIO

from rdflib import URIRef
from rdflib.namespace import RDF

from ccn_graph.model import reference
from ccn_graph.model.iris import CCN, instance_iri, record_graph

__all__ = ["SYNTHETIC_TYPE", "generate_members", "write_nquads"]

SYNTHETIC_TYPE = "synthetic-member"

_RDF_TYPE = str(RDF.type)
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_ORG = "http://www.w3.org/ns/org#"
_TIME = "http://www.w3.org/2006/time#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_LOCN = "http://www.w3.org/ns/locn#"
_DCT = "http://purl.org/dc/terms/"
_XSD = "http://www.w3.org/2001/XMLSchema#"

_FIRST_DAY = dt.date(2022, 1, 1)
_DAYS = (dt.date(2026, 10, 31) - _FIRST_DAY).days


class _Vocabulary:
    """The reference IRIs synthetic members point to, read from the bundled data."""

    def __init__(self, base: str) -> None:
        data = None
        for graph in reference.reference_graphs(base).values():
            data = graph if data is None else data + graph

        def instances(cls: str) -> list[str]:
            return sorted(str(s) for s in data.subjects(RDF.type, CCN[cls]))

        self.subdomains = [
            iri
            for iri in instances("ResearchDomain")
            if (URIRef(iri), URIRef(_SKOS + "broader"), None) in data
        ]
        self.sectors = instances("Sector")
        self.technologies = instances("Technology")
        self.roles = instances("RoleProfile")
        self.categories = instances("MemberCategory")
        self.fields = instances("FieldOfActivity")
        self.nccs = {}
        notation = URIRef(_SKOS + "notation")
        member_state = CCN.memberState
        for ncc in instances("NationalCoordinationCentre"):
            country = data.value(URIRef(ncc), member_state)
            self.nccs[str(country)] = (ncc, str(data.value(country, notation)))
        self.countries = sorted(self.nccs)
        self.community = instance_iri(base, "community", "ccc")
        self.centre = instance_iri(base, "centre", "eccc")
        self.programmes = instances("FundingProgramme")
        self.statuses = instances("ProjectStatus")
        self.base = base


def generate_members(
    count: int, seed: int, base: str
) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """(record graph IRI, triples) for `count` members; terms are written in N-Triples syntax."""
    vocab = _Vocabulary(base)
    rng = random.Random(seed)
    for number in range(1, count + 1):
        ref = f"{seed}-{number:06d}"
        member = instance_iri(base, SYNTHETIC_TYPE, ref)
        country = rng.choice(vocab.countries)
        ncc, code = vocab.nccs[country]
        host = f"member-{ref}.synthetic.example"
        day = _FIRST_DAY + dt.timedelta(days=rng.randrange(_DAYS))
        m, reg, period, start, address = (
            f"<{member}>",
            f"<{member}#registration>",
            f"<{member}#registration-period>",
            f"<{member}#registration-start>",
            f"<{member}#address>",
        )
        triples = [
            (m, f"<{_RDF_TYPE}>", f"<{CCN.CommunityMember}>"),
            (m, f"<{CCN.synthetic}>", f'"true"^^<{_XSD}boolean>'),
            (m, f"<{_SKOS}prefLabel>", f'"Synthetic member {ref}"@en'),
            (
                m,
                f"<{_DCT}description>",
                f'"A synthetic record made by ccn-graph generate (seed {seed}); it describes no '
                'real organisation."@en',
            ),
            (m, f"<{CCN.memberState}>", f"<{country}>"),
            (m, f"<{CCN.category}>", f"<{rng.choice(vocab.categories)}>"),
            (m, f"<{_FOAF}homepage>", f"<https://{host}/>"),
            (m, f"<{_FOAF}mbox>", f"<mailto:contact@{host}>"),
            (m, f"<{_LOCN}address>", address),
            (address, f"<{_RDF_TYPE}>", f"<{_LOCN}Address>"),
            (address, f"<{_LOCN}postName>", f'"Synthetic town {rng.randrange(1, 500)}"'),
            (address, f"<{_LOCN}adminUnitL1>", f'"{code}"'),
            (m, f"<{CCN.registration}>", reg),
            (reg, f"<{_RDF_TYPE}>", f"<{CCN.Registration}>"),
            (reg, f"<{_ORG}member>", m),
            (reg, f"<{_ORG}organization>", f"<{vocab.community}>"),
            (reg, f"<{CCN.assessedBy}>", f"<{ncc}>"),
            (reg, f"<{CCN.registeredBy}>", f"<{vocab.centre}>"),
            (reg, f"<{_ORG}memberDuring>", period),
            (period, f"<{_RDF_TYPE}>", f"<{_TIME}Interval>"),
            (period, f"<{_TIME}hasBeginning>", start),
            (start, f"<{_RDF_TYPE}>", f"<{_TIME}Instant>"),
            (start, f"<{_TIME}inXSDDate>", f'"{day.isoformat()}"^^<{_XSD}date>'),
        ]
        for predicate, pool, low, high in (
            ("fieldOfActivity", vocab.fields, 1, 2),
            ("expertise", vocab.subdomains, 1, 4),
            ("sector", vocab.sectors, 0, 2),
            ("technology", vocab.technologies, 0, 2),
            ("roleProfile", vocab.roles, 0, 2),
        ):
            for value in rng.sample(pool, rng.randint(low, high)):
                triples.append((m, f"<{CCN[predicate]}>", f"<{value}>"))
        yield record_graph(base, SYNTHETIC_TYPE, ref), triples


# size: calls, topics and projects drawn in order from one seeded random sequence
def generate_projects(
    count: int, members: int, seed: int, base: str
) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """(record graph IRI, triples) for synthetic calls, topics and `count` projects whose
    participants are drawn from the first `members` synthetic members of the same seed."""
    if count and not members:
        raise ValueError("synthetic projects need synthetic members to take part in them")
    vocab = _Vocabulary(base)
    rng = random.Random(seed * 7919 + 1)
    calls = max(1, count // 20)
    flag = (f"<{CCN.synthetic}>", f'"true"^^<{_XSD}boolean>')
    topics = []
    for c in range(1, calls + 1):
        call = instance_iri(base, "synthetic-call", f"{seed}-{c:03d}")
        programme = vocab.programmes[c % len(vocab.programmes)]
        yield (
            record_graph(base, "synthetic-call", f"{seed}-{c:03d}"),
            [
                (f"<{call}>", f"<{_RDF_TYPE}>", f"<{CCN.Call}>"),
                (f"<{call}>", f"<{_DCT}identifier>", f'"SYNTHETIC-{seed}-CALL-{c:03d}"'),
                (f"<{call}>", f"<{CCN.programme}>", f"<{programme}>"),
                (f"<{call}>", *flag),
            ],
        )
        for t in range(1, 3):
            topic = instance_iri(base, "synthetic-topic", f"{seed}-{c:03d}-{t}")
            topics.append((topic, call, programme))
            yield (
                record_graph(base, "synthetic-topic", f"{seed}-{c:03d}-{t}"),
                [
                    (f"<{topic}>", f"<{_RDF_TYPE}>", f"<{CCN.Topic}>"),
                    (
                        f"<{topic}>",
                        f"<{_SKOS}notation>",
                        f'"SYNTHETIC-{seed}-CALL-{c:03d}-{t:02d}"',
                    ),
                    (f"<{topic}>", f"<{_SKOS}prefLabel>", f'"Synthetic topic {c}.{t}"@en'),
                    (f"<{topic}>", f"<{CCN.call}>", f"<{call}>"),
                    (f"<{topic}>", *flag),
                ],
            )
    for number in range(1, count + 1):
        ref = f"{seed}-{number:06d}"
        project = instance_iri(base, "synthetic-project", ref)
        p = f"<{project}>"
        topic, call, programme = rng.choice(topics)
        start = _FIRST_DAY + dt.timedelta(days=rng.randrange(_DAYS))
        end = start + dt.timedelta(days=rng.choice((365, 730, 1095, 1461)))
        total = rng.randrange(200, 6000) * 1000
        triples = [
            (p, f"<{_RDF_TYPE}>", f"<{CCN.Project}>"),
            (p, *flag),
            (p, f"<{_DCT}identifier>", f'"{ref}"'),
            (p, f"<{CCN.acronym}>", f'"SYN{number:06d}"'),
            (p, f"<{_SKOS}prefLabel>", f'"SYN{number:06d}"@en'),
            (p, f"<{_DCT}title>", f'"Synthetic project {ref}"@en'),
            (
                p,
                f"<{_DCT}description>",
                f'"A synthetic project made by ccn-graph generate (seed {seed}); it describes no '
                'real project."@en',
            ),
            (p, "<https://schema.org/startDate>", f'"{start.isoformat()}"^^<{_XSD}date>'),
            (p, "<https://schema.org/endDate>", f'"{end.isoformat()}"^^<{_XSD}date>'),
            (p, f"<{CCN.fundingProgramme}>", f"<{programme}>"),
            (p, f"<{CCN.call}>", f"<{call}>"),
            (p, f"<{CCN.topic}>", f"<{topic}>"),
            (p, f"<{CCN.status}>", f"<{rng.choice(vocab.statuses)}>"),
        ]
        triples += _amount(f"<{project}#eu-contribution>", p, total)
        people = rng.sample(range(1, members + 1), min(members, rng.randint(2, 6)))
        shares = _split(rng, total, len(people))
        for i, (who, share) in enumerate(zip(people, shares, strict=False), 1):
            x = f"<{project}#participation-{i}>"
            kind = (
                "coordinator"
                if i == 1
                else rng.choice(
                    ("beneficiary", "beneficiary", "affiliated-entity", "associated-partner")
                )
            )
            participant = instance_iri(base, SYNTHETIC_TYPE, f"{seed}-{who:06d}")
            role = instance_iri(base, "participation-role", kind)
            triples += [
                (p, f"<{CCN.participation}>", x),
                (x, f"<{_RDF_TYPE}>", f"<{CCN.Participation}>"),
                (x, f"<{CCN.participant}>", f"<{participant}>"),
                (x, f"<{CCN.role}>", f"<{role}>"),
            ]
            triples += _amount(
                f"<{project}#participation-{i}-eu-contribution>",
                x,
                0 if kind == "associated-partner" else share,
            )
        yield record_graph(base, "synthetic-project", ref), triples


def _amount(node: str, owner: str, value: int) -> list[tuple[str, str, str]]:
    return [
        (owner, f"<{CCN.euContribution}>", node),
        (node, f"<{_RDF_TYPE}>", "<https://schema.org/MonetaryAmount>"),
        (node, "<https://schema.org/value>", f'"{value}.00"^^<{_XSD}decimal>'),
        (node, "<https://schema.org/currency>", '"EUR"'),
    ]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randrange(total + 1) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=False)]


def write_nquads(out: TextIO, count: int, seed: int, base: str, projects: int = 0) -> int:
    """Write `count` synthetic members (and `projects` synthetic projects with their calls and
    topics) as N-Quads, one record graph each; returns the quad count."""
    quads = 0
    records = generate_members(count, seed, base)
    if projects:
        records = itertools.chain(records, generate_projects(projects, count, seed, base))
    for graph, triples in records:
        for s, p, o in triples:
            out.write(f"{s} {p} {o} <{graph}> .\n")
        quads += len(triples)
    return quads
