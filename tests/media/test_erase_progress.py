"""An erase publishes what its drive reports on the progress board `erase-<barcode>` (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kernel.progress import Progress
from media import operations
from media.devices import open_session


@pytest.fixture
def library_services(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VTL_SLOTS", "4")
    monkeypatch.setenv("VTL_CAPACITY", "4M")
    from bootstrap import build

    built = build()
    yield built
    built.close()


def test_a_long_erase_publishes_how_far_the_drive_is_and_how_it_ended(library_services: Any) -> None:
    told: list[tuple[str, float | None]] = []

    def observe(state: Progress) -> None:
        told.append((state.phase, state.device_fraction))

    with open_session(library_services, "emulated:0", "王工") as session:
        operations.load(session, "TAF001L9")
        operations.label(session, pool="默认池", block_size=library_services.settings.default_block_size)
        operations.erase(session, long=True, progress=observe)

    fractions = [fraction for _, fraction in told]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert told[-1][0] == "done"
    published = library_services.progress.latest("erase-TAF001L9")
    assert published is not None and (published.kind, published.phase, published.phase_label) == ("erase", "done", "完成")
    assert published.current_cartridge == "TAF001L9" and published.fraction == 1.0
