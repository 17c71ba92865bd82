"""When progress bars show: on a terminal, unless the caller or ``ECOROUTE_QUIET`` says otherwise."""

from __future__ import annotations

import os

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
