"""When progress bars show: on a terminal, unless the caller or ``ECOROUTE_QUIET`` says otherwise."""

from __future__ import annotations

import os
import sys

#: Set (to anything but "" or "0") to silence every progress bar, as ``ecoroute --quiet`` does.
QUIET_VARIABLE = "ECOROUTE_QUIET"


def quiet() -> bool:
    """Whether the environment asks for no progress bars."""
    return os.environ.get(QUIET_VARIABLE, "") not in ("", "0")


def disable(progress: bool | None) -> bool | None:
    """
    tqdm's ``disable`` for a ``progress`` argument.

    True shows the bar, False hides it, None shows it on a terminal only (tqdm's
    own ``disable=None``) unless :data:`QUIET_VARIABLE` is set.
    """
    if progress is None:
        return True if quiet() else None
    return not progress


#: Pairs above which a matrix or a batch of pairs shows its bar by default (issue 27).
LONG_PAIRS = 100_000


def shown(progress: bool | None, count: int, threshold: int = LONG_PAIRS) -> bool:
    """
    Whether the bar of a job of ``count`` items shows.

    True or False force it. None shows it for jobs of more than ``threshold``
    items, on a terminal (standard error, where tqdm writes), unless
    :data:`QUIET_VARIABLE` is set.
    """
    if progress is not None:
        return progress
    if count <= threshold or quiet():
        return False
    stream = sys.stderr
    return stream is not None and stream.isatty()
