"""Exceptions that ecoroute raises on purpose."""

from __future__ import annotations


class EcoRouteError(Exception):
    """Base class for every error that ecoroute raises on purpose."""


class NetworkError(EcoRouteError, ValueError):
    """The input cannot be turned into a routable road network."""


class NetworkFileError(NetworkError):
    """A saved network file that cannot be loaded: wrong type, wrong version, truncated or corrupted."""


class ElevationError(EcoRouteError, ValueError):
    """DEM tiles that cannot be read, or that do not cover the network at all."""


class UnknownNodeError(EcoRouteError, KeyError):
    """A node id that is not in the road network."""

    def __init__(self, node: object, detail: str = "") -> None:
        self.node = node
        message = f"Node {node!r} is not in the road network."
        if detail:
            message += f" {detail}"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class NoRouteError(EcoRouteError):
    """The target cannot be reached from the source on this network."""


class SnapError(EcoRouteError, ValueError):
    """A coordinate farther than the snapping limit from every road the vehicle can use."""


class UnknownVehicleError(EcoRouteError, KeyError):
    """A vehicle name that is not in the catalogue."""

    def __str__(self) -> str:
        return str(self.args[0])


class FleetInputError(EcoRouteError, ValueError):
    """Depots, stops or vehicle types that cannot make a fleet plan, and what to change."""


class FleetPlanWarning(UserWarning):
    """A fleet plan that breaks a limit the solver could not satisfy in its search budget."""


class DefaultVehicleWarning(UserWarning):
    """A router made without a vehicle: it routes as the default vehicle, which it names."""


class OsmFileError(NetworkError):
    """An OSM file that cannot be read: missing, empty, truncated, or not OSM at all."""


class BatchError(EcoRouteError, ValueError):
    """
    A batch job that cannot start or cannot go on as asked.

    Unreadable or empty trip tables, missing columns, an unknown vehicle or
    objective for the whole job, a bad thread count, an output path that is a
    folder, or checkpoints of a different job. Problems of single trips are
    never raised: they become rows with ``status="bad_input"``.
    """


class SpeedDataError(EcoRouteError, ValueError):
    """A speed file (or row of one) that cannot be read, naming the file, row and field."""


class SpeedDataWarning(UserWarning):
    """Speed data that the network cannot use (segments it does not have), with counts."""


class OutputError(EcoRouteError, ValueError):
    """An output path that would destroy an input, a device or an earlier result."""


class TooBigError(EcoRouteError, MemoryError):
    """A request whose results would not fit in the memory this machine has."""
