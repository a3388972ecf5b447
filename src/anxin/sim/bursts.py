"""Live-stream sales bursts: when the checkouts of a livestream arrive.

A host puts a product link up a few times during a stream ("上链接"); each time, checkouts spike at once and decay
over a few minutes as the stock or the viewers' attention runs out. The arrival process is a sum of such waves, an
inhomogeneous Poisson process with intensity λ(t) = Σ_k a_k · exp(−(t − t_k)/τ) for t ≥ t_k, inside the window.

Conditioned on the number of arrivals n, the arrival instants are independent draws from the normalised intensity,
which is how ``arrivals`` draws them (exactly n, so a benchmark can ask for 10,000 in 30 minutes): pick a wave by
its mass inside the window, then an offset from the exponential truncated at the window's end. Pure.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Wave:
    at_s: float  # seconds from the window's start when the link goes up
    weight: float  # its peak intensity (relative)
    decay_s: float  # τ: the spike's time constant


@dataclass(frozen=True)
class Burst:
    seconds: float  # the window's length
    waves: tuple[Wave, ...]

    def mass(self, wave: Wave) -> float:
        """∫ of the wave's intensity inside the window."""
        return wave.weight * wave.decay_s * (1 - math.exp(-(self.seconds - wave.at_s) / wave.decay_s))

    def intensity(self, t_s: float) -> float:
        return sum(w.weight * math.exp(-(t_s - w.at_s) / w.decay_s) for w in self.waves if 0 <= w.at_s <= t_s)


def live_burst(rng: random.Random, *, minutes: float = 30.0, links: tuple[int, int] = (3, 6),
               decay_s: tuple[float, float] = (60.0, 240.0)) -> Burst:
    """A stream's waves: the first link within the first two minutes, the others spread over the rest (never in the
    last minute); later links draw a little less (the stream's audience thins out)."""
    seconds = minutes * 60.0
    k = rng.randint(*links)
    starts = sorted([rng.uniform(0, min(120.0, seconds / 4))]
                    + [rng.uniform(seconds * 0.1, max(seconds * 0.1, seconds - 60.0)) for _ in range(k - 1)])
    waves = tuple(Wave(round(s, 3), round(rng.uniform(0.6, 1.0) * 0.85 ** i, 4), round(rng.uniform(*decay_s), 3))
                  for i, s in enumerate(starts))
    return Burst(seconds, waves)


def arrivals(rng: random.Random, burst: Burst, n: int) -> list[float]:
    """Exactly ``n`` arrival offsets (seconds from the window's start, sorted, all inside [0, seconds))."""
    if n <= 0:
        return []
    masses = [burst.mass(w) for w in burst.waves]
    out = []
    for _ in range(n):
        w = rng.choices(burst.waves, masses)[0]
        span = burst.seconds - w.at_s
        # inverse CDF of Exp(1/τ) truncated to [0, span)
        u = rng.random() * (1 - math.exp(-span / w.decay_s))
        offset = -w.decay_s * math.log(1 - u)
        out.append(min(w.at_s + offset, math.nextafter(burst.seconds, 0)))
    out.sort()
    return out


def at_times(start: dt.datetime, offsets: list[float]) -> list[dt.datetime]:
    return [start + dt.timedelta(seconds=s) for s in offsets]


def peak_per_minute(offsets: list[float]) -> int:
    """The busiest minute's arrivals."""
    counts: dict[int, int] = {}
    for s in offsets:
        counts[int(s // 60)] = counts.get(int(s // 60), 0) + 1
    return max(counts.values(), default=0)


def burst_size(rng: random.Random, *, viewers: int, conversion: tuple[float, float] = (0.005, 0.03)) -> int:
    """How many checkouts a stream with ``viewers`` watching brings: a share of them, Poisson-ish around it."""
    mean = viewers * rng.uniform(*conversion)
    return max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
