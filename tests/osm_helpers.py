"""Hand-written OSM XML for tests: nodes and ways in, an .osm file out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr


def write_osm(
    path: Path,
    nodes: Sequence[tuple[object, object, object]],
    ways: Mapping[int, tuple[Sequence[object], Mapping[str, str]]],
) -> Path:
    """
    Write ``nodes`` (id, lat, lon; written as given, so "abc" stays "abc") and
    ``ways`` ({way id: (node refs, tags)}) as an OSM XML file, nodes first.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, lat, lon in nodes:
        lines.append(f"<node id={quoteattr(str(node_id))} lat={quoteattr(str(lat))} "
                     f'lon={quoteattr(str(lon))} version="1"/>')  # fmt: skip
    for way_id, (refs, tags) in ways.items():
        body = "".join(f"<nd ref={quoteattr(str(r))}/>" for r in refs)
        body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<way id="{way_id}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
