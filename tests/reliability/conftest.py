"""Fixtures of the reliability suite: one migrated template per session, and per test a fresh copy of it served by
a real ``anxin serve`` process, with a real ``anxin worker`` process sending the webhooks to a real receiver."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.reliability.harness import (
    SECRET,
    PlatformSink,
    Receiver,
    Server,
    Template,
    Worker,
    World,
    make_template,
    new_workdir,
)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    t = make_template(tmp_path_factory.mktemp("reliability"))
    yield t
    t.backend.close()


@pytest.fixture
def world(template: Template, request: pytest.FixtureRequest) -> Iterator[World]:
    url = template.fresh(request.node.name)
    workdir = new_workdir()
    receiver = Receiver(PlatformSink(SECRET))  # the reference receiver; a test may make it slow or lossy
    server = Server(url, webhook_url=receiver.url, workdir=workdir)
    w = World(template, url, receiver, server, workdir, [Worker(url, webhook_url=receiver.url, workdir=workdir)])
    try:
        server.start()
        for worker in w.workers:
            worker.start()
        yield w
    finally:
        for proc in [*w.servers, *w.workers]:
            proc.stop()
        receiver.close()
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            for proc in [*w.servers, *w.workers]:
                print(f"log ({proc.log}):\n{proc.log_tail()}")
        template.backend.drop_copy(url)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep
