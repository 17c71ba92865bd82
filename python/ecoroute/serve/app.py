"""The Starlette app of ``ecoroute serve``: OSRM's routes, /health, /vehicles and the map page."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from functools import partial
from importlib import resources
from typing import Any

import anyio
import anyio.to_thread
import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .osrm import OsrmError, params_from_json
from .service import RoutingService

logger = logging.getLogger("ecoroute.serve")

JSON_TYPE = "application/json; charset=UTF-8"

#: The map page draws every road of a network up to this many arcs (only its box beyond).
MAX_DRAWN_ARCS = 50_000


def create_app(service: RoutingService, *, workers: int | None = None) -> Starlette:
    """
    The HTTP app answering OSRM requests with ``service``.

    Parameters
    ----------
    service
        The routing service (one network, its routers).
    workers
        Threads that run requests (default: the machine's cores). Route and
        table queries run there, in C++ without the GIL, so the event loop
        keeps accepting requests while they run.
    """
    state: dict[str, anyio.CapacityLimiter] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["limiter"] = anyio.CapacityLimiter(workers or os.cpu_count() or 1)
        yield

    async def run(function: Callable[[], tuple[int, bytes]]) -> Response:
        limiter = state.get("limiter")
        try:
            status, body = await anyio.to_thread.run_sync(function, limiter=limiter)
        except Exception:  # a bug: say so as osrm-routed does, and keep serving
            logger.exception("ecoroute serve: internal error")
            status, body = 500, _json({"code": "InternalError", "message": "Internal error."})
        return Response(body, status, media_type=JSON_TYPE)

    async def osrm_get(request: Request) -> Response:
        path = request.path_params
        params = dict(request.query_params)  # a repeated option: the last one counts
        answer = partial(
            service.answer,
            path["service"],
            path["version"],
            path["profile"],
            path["coordinates"],
            params,
        )
        return await run(answer)

    async def osrm_post(request: Request) -> Response:
        path = request.path_params
        if request.method != "POST":  # a GET without coordinates
            return await not_found(request, HTTPException(404))
        if not request.headers.get("content-type", "").lower().startswith("application/json"):
            message = "POST requests require a Content-Type of application/json."
            error = OsrmError(message, code="InvalidContentType", status=415)
            return Response(_json(error.body()), error.status, media_type=JSON_TYPE)
        try:
            coordinates, params = params_from_json(await _body(request))
        except OsrmError as error:
            return Response(_json(error.body()), error.status, media_type=JSON_TYPE)
        answer = partial(
            service.answer, path["service"], path["version"], path["profile"], coordinates, params
        )
        return await run(answer)

    async def health(request: Request) -> Response:
        return JSONResponse(service.health())

    async def vehicle_list(request: Request) -> Response:
        return JSONResponse(service.vehicles())

    async def roads(request: Request) -> Response:
        return await run(partial(_roads, service))

    async def page(request: Request) -> Response:
        text = resources.files("ecoroute.serve").joinpath("page.html").read_text("utf-8")
        return HTMLResponse(text)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        if status == 405:
            message = "Method not allowed. Use GET, HEAD, POST, or OPTIONS."
            error = OsrmError(message, code="InvalidMethod", status=405)
        else:
            error = OsrmError(f"URL string malformed: {request.url.path!r}", code="InvalidUrl")
        return Response(_json(error.body()), error.status, media_type=JSON_TYPE)

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/vehicles", vehicle_list, methods=["GET"]),
        Route("/roads", roads, methods=["GET"]),
        Route("/{service}/{version}/{profile}/{coordinates:path}", osrm_get, methods=["GET"]),
        Route("/{service}/{version}/{profile}", osrm_post, methods=["GET", "POST"]),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: not_found},
    )


async def _body(request: Request) -> bytes:
    """A POST's body, refused (TooBig, 413) past :data:`MAX_BODY_BYTES` before it is all read."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            msg = f"The request body is over {MAX_BODY_BYTES:,} bytes."
            raise OsrmError(msg, code="TooBig", status=413)
    return bytes(body)


def _roads(service: RoutingService) -> tuple[int, bytes]:
    """The network's bounding box and, up to :data:`MAX_DRAWN_ARCS`, its roads as lines."""
    network = service.network
    body: dict[str, Any] = {"bbox": service.bbox(), "roads": []}
    if network.arc_count <= MAX_DRAWN_ARCS:
        arcs = np.arange(network.arc_count)
        points, offsets = network.paths_coordinates(network.tail, np.arange(arcs.size + 1), arcs)
        rounded = np.round(points, 6).tolist()
        body["roads"] = [rounded[offsets[i] : offsets[i + 1]] for i in range(arcs.size)]
    return 200, _json(body)


def _json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")


def serve(
    service: RoutingService,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int | None = None,
    log_level: str = "info",
) -> None:
    """
    Run the app with uvicorn until interrupted.

    Request lines up to 1 MiB are read (h11's default is 16 KiB), so that a
    route of osrm-routed's 500 coordinates fits in a GET and a bigger one is
    answered ``TooBig`` rather than cut off.
    """
    import uvicorn

    config = uvicorn.Config(
        create_app(service, workers=workers),
        host=host,
        port=port,
        log_level=log_level,
        h11_max_incomplete_event_size=MAX_REQUEST_LINE_BYTES,
    )
    uvicorn.Server(config).run()


#: Longest request head uvicorn reads (a GET's URL holds its coordinates).
MAX_REQUEST_LINE_BYTES = 1 << 20

#: Largest POST body read (500 coordinates with every per-coordinate option fit in 100 kB).
MAX_BODY_BYTES = 1 << 20
