"""The velocity counter decays in the database's upsert exactly as ``risk.model.decay`` says, on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.db.builders import T0

from anxin.risk.model import decay
from anxin.risk.store import SignalRepository

pytestmark = pytest.mark.db


def test_the_counter_decays_by_half_per_half_life_and_ignores_late_events(anxin: Any) -> None:
    at = [T0, T0 + dt.timedelta(hours=24), T0 + dt.timedelta(hours=30), T0 + dt.timedelta(hours=27)]
    expected, stamp = 1.0, at[0]
    with anxin.uow_factory() as uow:
        repo = SignalRepository(uow.session)
        assert repo.bump_decaying("claims:x", at[0], 24) == 1.0
        for when in at[1:]:
            expected = 1 + decay(expected, (when - stamp).total_seconds() / 3600, 24)
            stamp = max(stamp, when)
            assert repo.bump_decaying("claims:x", when, 24) == pytest.approx(expected, rel=1e-9)
        assert expected == pytest.approx(1 + (1 + (1 + 1 * 0.5) * 0.5 ** 0.25) * 1, rel=1e-9)
        uow.commit()
