"""The app factory: the contexts' API routers and pages, the shell's docs and pages, and the error table."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from anxin import __version__
from anxin.bootstrap import Anxin
from anxin.contexts import modules_named
from anxin.web import errors, openapi
from anxin.web.guard import InputGuard
from anxin.web.schema import Health

STATIC = __import__("pathlib").Path(__file__).parent / "static"


def context_routers(module: str) -> list[APIRouter]:
    """The ``router`` of each context's ``module`` (``api`` or ``pages``): a context registers its own edges by
    listing the module in ``anxin.contexts``; nothing here names a context."""
    return [m.router for m in modules_named(module)]


def create_app(anxin: Anxin) -> FastAPI:
    """The API and the pages. The periodic jobs run in `anxin worker`, a process of its own (anxin.worker)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Request threads and database connections are sized together (ANXIN_WORKERS): a request waits for a
        # thread, never for a connection while holding a thread.
        anyio.to_thread.current_default_thread_limiter().total_tokens = anxin.settings.workers
        yield

    app = FastAPIOffline(title="anxin", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                         # One schema per model, not Foo-Input/Foo-Output: generated clients get one type each.
                         separate_input_output_schemas=False,
                         description="Trust and service engine for multi-merchant marketplaces: 安心购 guarantees, "
                                     "after-sales with deadlines, explained decisions. Money is integer fen.")
    app.state.anxin = anxin
    errors.install(app)
    # Outermost: bounded, storable input in; security headers on every response, the guard's refusals included.
    app.add_middleware(InputGuard, max_body=anxin.settings.max_body_bytes,
                       max_events_body=anxin.settings.events_max_bytes)
    from anxin.web import docs
    from anxin.web import pages as shell_pages

    # Every context's API, the shell's docs and pages, then every context's pages, in the list of contexts' order.
    # No route answers another router's path (tests/api/test_app_routes.py), so that order decides nothing.
    for router in (*context_routers("api"), docs.router, shell_pages.router, *context_routers("pages")):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    openapi.install(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness and the rulebook in force", response_model=Health)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__,
                "rulebook": anxin.rulebooks.in_force(anxin.clock.now()).version}

    return app
