"""``ecoroute serve``: an HTTP routing service in OSRM v5's shape, with CO2 beside time and distance."""

from __future__ import annotations

from .service import Limits as Limits
from .service import RoutingService as RoutingService

__all__ = ["Limits", "RoutingService", "create_app", "serve"]


def __getattr__(name: str) -> object:
    # The app needs Starlette (pip install 'ecoroute[serve]'); the service does not.
    if name in ("create_app", "serve"):
        from . import app

        return getattr(app, name)
    msg = f"module 'ecoroute.serve' has no attribute {name!r}"
    raise AttributeError(msg)
