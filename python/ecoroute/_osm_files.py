"""What an OSM file may be called, and the checks every reader of one makes first."""

from __future__ import annotations

from pathlib import Path

from ._errors import OsmFileError

#: OSM file names ecoroute reads (pyosmium: XML, compressed XML, PBF).
SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".osm.xml")


def check_osm_file(path: Path) -> None:
    """Raise :class:`OsmFileError` unless ``path`` is a non-empty file with an OSM name."""
    if not path.exists():
        msg = f"{path}: no such file."
        raise OsmFileError(msg)
    if path.is_dir():
        msg = f"{path} is a directory, not an OSM file."
        raise OsmFileError(msg)
    if path.stat().st_size == 0:
        msg = f"{path} is empty."
        raise OsmFileError(msg)
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        msg = f"{path}: unknown OSM file type; expected one of {', '.join(SUFFIXES)}."
        raise OsmFileError(msg)
