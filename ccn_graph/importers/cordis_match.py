"""Organisations of a CORDIS export matched to Community members: by CORDIS identifier, then VAT
number, then normalised name within the same Member State; an ambiguous or conflicting match is
never made, and the reason is given instead."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from rdflib import URIRef

from ccn_graph.model import iris
from ccn_graph.sparql import queries
from ccn_graph.store import Store

__all__ = ["COUNTRY_IRI", "MEMBER_STATES", "Members", "normalise_name"]

#: Two-letter codes of the 27 Member States as CORDIS writes them (EL for Greece) → ISO 3166
#: alpha-3.
MEMBER_STATES = {**iris.MEMBER_STATES, "EL": "GRC"}
COUNTRY_IRI = iris.COUNTRY_AUTHORITY


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing folded away; nothing else (no legal forms dropped)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


class Members:
    """Community members of the store, indexed for matching."""

    def __init__(self, store: Store, countries: Iterable[str]) -> None:
        states = [
            URIRef(COUNTRY_IRI + MEMBER_STATES[c])
            for c in sorted(set(countries))
            if c in MEMBER_STATES
        ]
        self.by_cordis: dict[str, set[str]] = defaultdict(set)
        self.by_vat: dict[str, set[str]] = defaultdict(set)
        self.by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.cordis_of: dict[str, set[str]] = defaultdict(set)
        if not states:
            return
        for row in store.select(queries.load("members_for_matching"), {"states": states}):
            member = str(row["member"])
            self.by_name[(str(row["state"]), normalise_name(str(row["name"])))].add(member)
            if "cordis" in row:
                self.by_cordis[str(row["cordis"])].add(member)
                self.cordis_of[member].add(str(row["cordis"]))
            if "vat" in row:
                self.by_vat[_vat(str(row["vat"]))].add(member)

    def match(self, org: dict[str, str]) -> tuple[str | None, str]:
        """(member IRI, how) or (None, why not)."""
        oid = org["organisationID"].strip()
        for key, index, how in (
            (oid, self.by_cordis, "CORDIS identifier"),
            (_vat(org["vatNumber"]), self.by_vat, "VAT number"),
        ):
            found = index.get(key) if key else None
            if found and len(found) == 1:
                return next(iter(found)), how
            if found:
                return None, f"its {how} belongs to {len(found)} Community members"
        country = MEMBER_STATES.get(org["country"].strip().upper())
        if not country:
            return None, "not established in a Member State"
        found = self.by_name.get((COUNTRY_IRI + country, normalise_name(org["name"])), set())
        if len(found) > 1:
            return None, f"its name matches {len(found)} Community members in the same Member State"
        if found:
            member = next(iter(found))
            if self.cordis_of.get(member) and oid not in self.cordis_of[member]:
                return None, f"its name matches {member}, whose CORDIS identifier differs"
            return member, "name and Member State"
        return None, "no Community member with this identifier or name"


def _vat(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())
