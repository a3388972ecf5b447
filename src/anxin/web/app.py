"""The app factory: API routers, pages and the error table."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from anxin import __version__
from anxin.bootstrap import Anxin
from anxin.web import errors, openapi
from anxin.web.guard import InputGuard
from anxin.web.schema import Health

STATIC = __import__("pathlib").Path(__file__).parent / "static"


def create_app(anxin: Anxin) -> FastAPI:
    """The API and the pages. The periodic jobs run in `anxin worker`, a process of its own (anxin.worker)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Request threads and database connections are sized together (ANXIN_WORKERS): a request waits for a
        # thread, never for a connection while holding a thread.
        anyio.to_thread.current_default_thread_limiter().total_tokens = anxin.settings.workers
        yield

    app = FastAPIOffline(title="anxin", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                         description="Trust and service engine for multi-merchant marketplaces: 安心购 guarantees, "
                                     "after-sales with deadlines, explained decisions. Money is integer fen.")
    app.state.anxin = anxin
    errors.install(app)
    # Outermost: bounded, storable input in; security headers on every response, the guard's refusals included.
    app.add_middleware(InputGuard, max_body=anxin.settings.max_body_bytes,
                       max_events_body=anxin.settings.events_max_bytes)
    from anxin.actions import api as actions_api
    from anxin.actions import pages as actions_pages
    from anxin.aftersales import api as aftersales_api
    from anxin.aftersales import pages as aftersales_pages
    from anxin.fulfilment import api as fulfilment_api
    from anxin.fulfilment import pages as fulfilment_pages
    from anxin.ingest import api as ingest_api
    from anxin.jobs import api as jobs_api
    from anxin.jobs import pages as jobs_pages
    from anxin.merchants import api as merchants_api
    from anxin.merchants import pages as merchants_pages
    from anxin.outbox import api as outbox_api
    from anxin.outbox import pages as outbox_pages
    from anxin.risk import api as risk_api
    from anxin.risk import pages as risk_pages
    from anxin.scoring import api as scoring_api
    from anxin.scoring import pages as scoring_pages
    from anxin.web import docs
    from anxin.web import pages as shell_pages

    app.include_router(ingest_api.router)
    app.include_router(jobs_api.router)
    app.include_router(actions_api.router)
    app.include_router(aftersales_api.router)
    app.include_router(fulfilment_api.router)
    app.include_router(scoring_api.router)
    app.include_router(risk_api.router)
    app.include_router(merchants_api.router)
    app.include_router(outbox_api.router)
    app.include_router(docs.router)
    app.include_router(shell_pages.router)
    app.include_router(aftersales_pages.router)
    app.include_router(fulfilment_pages.router)
    app.include_router(scoring_pages.router)
    app.include_router(risk_pages.router)
    app.include_router(merchants_pages.router)
    app.include_router(jobs_pages.router)
    app.include_router(outbox_pages.router)
    app.include_router(actions_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    openapi.install(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness and the rulebook in force", response_model=Health)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__,
                "rulebook": anxin.rulebooks.in_force(anxin.clock.now()).version}

    return app
