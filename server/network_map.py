"""The map of the Network on the home page: an SVG tile map of the 27 Member States, made here.

Each Member State is a square placed roughly where it lies in Europe (a tile-grid map: no
borders, no tile server, nothing fetched), shaded by its number of Community members, and linking
to the page of its NCC.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

# (column, row) of each Member State's tile, by its ISO 3166-1 alpha-2 code.
TILES = {
    "SE": (5, 0),
    "FI": (6, 0),
    "IE": (1, 1),
    "DK": (4, 1),
    "EE": (6, 1),
    "NL": (3, 2),
    "DE": (4, 2),
    "PL": (5, 2),
    "LV": (6, 2),
    "FR": (2, 3),
    "BE": (3, 3),
    "CZ": (4, 3),
    "SK": (5, 3),
    "LT": (6, 3),
    "PT": (0, 4),
    "ES": (1, 4),
    "LU": (3, 4),
    "AT": (4, 4),
    "HU": (5, 4),
    "RO": (6, 4),
    "IT": (3, 5),
    "SI": (4, 5),
    "HR": (5, 5),
    "BG": (6, 5),
    "MT": (3, 6),
    "GR": (6, 6),
    "CY": (7, 6),
}
SIZE, GAP = 56, 6


def render(nccs: list[dict], members: dict[str, int], link) -> str:
    """The SVG; `link(iri)` gives the href of a page about an IRI."""
    most = max(members.values(), default=0) or 1
    cells = []
    for ncc in nccs:
        code = ncc["code"]
        if code not in TILES:
            continue
        column, row = TILES[code]
        x, y = column * (SIZE + GAP), row * (SIZE + GAP)
        count = members.get(ncc["state"], 0)
        lightness = 92 - int(52 * count / most)
        name = ncc["name"]
        title = (
            f"{name}: {ncc['label'] or 'National Coordination Centre'}; {count} Community members"
        )
        href = link(ncc["ncc"]) if ncc["ncc"] else link(ncc["state"])
        cells.append(
            f"<a href={quoteattr(href)} aria-label={quoteattr(title)}>"
            f"<title>{escape(title)}</title>"
            f'<rect x="{x}" y="{y}" width="{SIZE}" height="{SIZE}" rx="6" '
            f'fill="hsl(221, 70%, {lightness}%)" stroke="#003399"/>'
            f'<text x="{x + SIZE / 2}" y="{y + SIZE / 2 + 6}" text-anchor="middle" font-size="18" '
            f'fill="{"#fff" if lightness < 60 else "#102a43"}">{escape(code)}</text></a>'
        )
    width, height = 8 * (SIZE + GAP), 7 * (SIZE + GAP)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="map-title map-desc" class="network-map">'
        f'<title id="map-title">The Network of National Coordination Centres</title>'
        f'<desc id="map-desc">A tile map of the 27 Member States; each tile links to its National '
        f"Coordination Centre and is darker where more Community members are registered.</desc>"
        + "".join(cells)
        + "</svg>"
    )
