"""Griffe extension for the API pages: Sphinx roles in docstrings become inline code.

The docstrings are numpydoc and name other objects with Sphinx roles
(``:func:`ecoroute.vehicles```, ``:class:`~ecoroute.fleet.Savings```), which Markdown
would show verbatim. This turns each into inline code (the last component with ``~``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|data|mod|obj|exc|const|term):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    name = match[2]
    if match[1]:
        name = name.rsplit(".", 1)[-1]
    return f"`{name}`"


class RstRoles(griffe.Extension):
    """Rewrite Sphinx cross-reference roles in every docstring as Markdown inline code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code, obj.docstring.value)
