"""
Where results may be written: checks that no output replaces an input, a device or an earlier result.

Every writer of the package (``RoadNetwork.save``, batch results, fleet
plans, GeoJSON routes) asks here first. The rules:

- an output never names one of the command's inputs (the same file, by
  ``os.path.samefile``, through any link or spelling);
- an existing output is replaced only if it is a regular file (never a
  device such as ``/dev/null``, a pipe or a folder) and only when the caller
  allows it (``overwrite``);
- ``-`` is not a file name: a writer that can stream says so itself,
  the others refuse it;
- the folder an output goes into must exist (the message names it, not a
  temporary file).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ._errors import OutputError

__all__ = ["OutputError", "output_file", "output_folder"]


def _same(path: Path, other: str | os.PathLike[str] | None) -> bool:
    if other is None:
        return False
    try:
        return path.samefile(other)
    except OSError:  # either does not exist (yet)
        return False


def output_file(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    overwrite: bool = True,
    what: str = "output",
) -> Path:
    """
    Check that a file may be written at ``path``; return it as a ``Path``.

    Parameters
    ----------
    path
        Where the file goes.
    inputs
        Files the same job reads (None entries are skipped): the output may
        not be one of them.
    overwrite
        Whether an existing regular file may be replaced.
    what
        What the file is, for messages ("the saved network", "--out").

    Raises
    ------
    OutputError
        For ``-``, an input, a non-regular file, an existing file without
        ``overwrite``, or a missing folder.
    """
    if os.fspath(path) == "-":
        msg = f"{what}: '-' (standard output) is not supported here; give a file name."
        raise OutputError(msg)
    target = Path(path)
    for source in inputs:
        if _same(target, source):
            msg = (
                f"{what} {target} is also an input ({source}): writing it would destroy the "
                "input; write somewhere else."
            )
            raise OutputError(msg)
    if target.exists() or target.is_symlink():
        try:
            mode = target.stat().st_mode
        except OSError:  # a dangling link
            mode = 0
        if not stat.S_ISREG(mode):
            msg = (
                f"{what} {target} exists and is not a regular file (a folder, device, pipe or "
                "dangling link): refusing to replace it."
            )
            raise OutputError(msg)
        if not overwrite:
            msg = f"{what} {target} exists; pass overwrite=True (--overwrite) to replace it."
            raise OutputError(msg)
    folder = target.parent
    if not folder.is_dir():
        msg = f"{what} {target}: the folder {folder} does not exist; create it first."
        raise OutputError(msg)
    return target


def output_folder(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    overwrite: bool = False,
    what: str = "output folder",
) -> Path:
    """
    Check that a folder of results may be written at ``path``; return it as a ``Path``.

    An existing folder that holds anything is replaced only with
    ``overwrite``, and never when an input lies inside it. A missing
    folder's parent must exist.

    Raises
    ------
    OutputError
        As :func:`output_file`, for folders.
    """
    if os.fspath(path) == "-":
        msg = f"{what}: '-' is not a folder; give a folder name."
        raise OutputError(msg)
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            msg = f"{what} {target} exists and is not a folder: refusing to replace it."
            raise OutputError(msg)
        resolved = target.resolve()
        for source in inputs:
            if source is None:
                continue
            inside = Path(source).resolve()
            if resolved == inside or resolved in inside.parents:
                msg = (
                    f"{what} {target} holds an input ({source}): writing there could destroy "
                    "it; write somewhere else."
                )
                raise OutputError(msg)
        if any(target.iterdir()) and not overwrite:
            msg = (
                f"{what} {target} exists and is not empty; pass --overwrite to replace what "
                "it holds, or give a new folder."
            )
            raise OutputError(msg)
    elif not target.parent.is_dir():
        msg = f"{what} {target}: the folder {target.parent} does not exist; create it first."
        raise OutputError(msg)
    return target
