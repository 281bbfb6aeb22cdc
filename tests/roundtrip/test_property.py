"""Round-trip property (issue 11): any tree, any solid block, package limit and level — what the
backup says it saved comes back through TAF's restore, and any 7z tool reads every package the
way its manifest describes it. A bounded number of examples here; `bench/roundtrip_soak.py` runs
as many as time allows."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.roundtrip.harness import run_case
from tests.roundtrip.strategies import cases


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(case=cases())
def test_what_a_backup_saved_comes_back(case, tmp_path: Path, seven_zip: str) -> None:  # noqa: ANN001
    problems = run_case(case, tmp_path / "case", seven_zip)
    assert problems == [], case.describe() + "\n" + "\n".join(problems)
