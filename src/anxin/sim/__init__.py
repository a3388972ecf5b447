"""The marketplace simulator: a month of shops, buyers, parcels and after-sales in seconds.

It generates a marketplace from a seed and drives anxin's real services on a simulated clock:
platform events through ingestion, requests and answers through the after-sales service, deadlines
through ``anxin.tick()``. See docs/simulator.md.
"""

from __future__ import annotations

from typing import TextIO

from anxin.bootstrap import Anxin
from anxin.sim.engine import DayCallback, Simulation
from anxin.sim.report import ground_truth, summary
from anxin.sim.world import DEFAULT_START, SimConfig

__all__ = ["DEFAULT_START", "SimConfig", "Simulation", "ground_truth", "simulate", "summary"]


def simulate(anxin: Anxin, config: SimConfig, *, on_day: DayCallback | None = None,
             events_out: TextIO | None = None) -> Simulation:
    """Run a whole simulation; ``anxin`` must have been bootstrapped with a FixedClock."""
    return Simulation(anxin, config, events_out=events_out).run(on_day)
