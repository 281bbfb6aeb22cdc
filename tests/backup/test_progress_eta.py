"""The job's ETA: the later of packing and the tape, each left out until it has a measured rate."""

from __future__ import annotations

import pytest

from backup.progress import job_eta


@pytest.mark.parametrize(("pack_left", "pack_rate", "tape_left", "tape_rate", "expected"), [
    (100, 10.0, 300, 100.0, 10.0),    # packing is the slower side
    (100, 100.0, 300, 10.0, 30.0),    # the tape is the slower side
    (0, 50.0, 400, 20.0, 20.0),       # everything packed: the last packages still wait for the tape
    (100, 10.0, 300, 0.0, 10.0),      # nothing on tape yet: packing's estimate, a lower bound
    (0, 0.0, 300, 30.0, 10.0),        # packing rate not known (a resumed job with no history)
    (0, 10.0, 0, 20.0, 0.0),          # all on tape
    (0, 10.0, -5, 20.0, 0.0),         # never negative
])
def test_the_later_side_decides(pack_left: int, pack_rate: float, tape_left: int, tape_rate: float,
                                expected: float) -> None:
    assert job_eta(pack_left, pack_rate, tape_left, tape_rate) == pytest.approx(expected)


@pytest.mark.parametrize(("pack_left", "pack_rate", "tape_left", "tape_rate"), [
    (100, 0.0, 100, 0.0),   # neither side measured
    (0, 10.0, 300, 0.0),    # all packed, nothing on tape yet: not 0, which would say "done"
    (0, 0.0, 0, 0.0),       # an empty job before anything ran
])
def test_unknown_rather_than_a_wrong_figure(pack_left: int, pack_rate: float, tape_left: int,
                                             tape_rate: float) -> None:
    assert job_eta(pack_left, pack_rate, tape_left, tape_rate) is None
