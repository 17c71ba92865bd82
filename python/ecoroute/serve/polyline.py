"""Google's encoded polyline format, as OSRM writes it: precision 5 (``polyline``) or 6."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def encode(lonlat: npt.ArrayLike, precision: int = 5) -> str:
    """
    Encode (lon, lat) points as a polyline string (which stores them as lat, lon).

    Each coordinate is rounded to ``precision`` decimals, and each point is
    stored as its difference from the previous one, in the zig-zag, 5-bit
    chunked form of Google's algorithm (what OSRM's ``geometries=polyline``
    and ``polyline6`` return, and every OSRM client decodes).
    """
    points = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    if points.size and not np.isfinite(points).all():
        msg = "cannot encode a polyline with NaN or infinite coordinates"
        raise ValueError(msg)
    scaled = np.round(points[:, ::-1] * 10**precision).astype(np.int64)  # lat, lon
    deltas = np.diff(scaled, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return "".join(_chunks(int(value)) for value in deltas.ravel())


def decode(text: str, precision: int = 5) -> list[tuple[float, float]]:
    """
    Decode a polyline string into (lon, lat) points.

    Raises
    ------
    ValueError
        If the string is not a well-formed polyline (a character outside the
        alphabet, a value cut off at the end, or an odd number of values).
    """
    values: list[int] = []
    value = shift = 0
    for char in text:
        chunk = ord(char) - 63
        if not 0 <= chunk < 64:
            msg = f"{char!r} is not a polyline character"
            raise ValueError(msg)
        value |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            values.append(~(value >> 1) if value & 1 else value >> 1)
            value = shift = 0
        elif shift > 60:
            msg = "polyline value too long"
            raise ValueError(msg)
    if shift or len(values) % 2:
        msg = "truncated polyline"
        raise ValueError(msg)
    lat_lon = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0)
    return [(lon / 10**precision, lat / 10**precision) for lat, lon in lat_lon.tolist()]


def _chunks(value: int) -> str:
    """One signed value as polyline characters."""
    rest = ~(value << 1) if value < 0 else value << 1
    out: list[str] = []
    while rest >= 0x20:
        out.append(chr((0x20 | (rest & 0x1F)) + 63))
        rest >>= 5
    out.append(chr(rest + 63))
    return "".join(out)
