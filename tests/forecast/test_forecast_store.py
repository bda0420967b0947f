"""Geography and consumption history read from the mmsis data store (DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mmsis.datasets import ExampleCountry
from mmsis.errors import InputError
from mmsis.forecast.engine import run_forecast
from mmsis.forecast.scenario import load_scenario


def test_scenario_from_store(tmp_path: Path, example_country: ExampleCountry) -> None:
    from mmsis.data.store import Store, load_example

    with Store(tmp_path / "s.duckdb") as store:
        load_example(store, example_country)
    ro = example_country.rollout
    data = {"start": "2022-07", "horizon_months": 30,
            "geography": {"store": "s.duckdb"},
            "pregnancies": {"crude_birth_rate": 0.035},
            "rollout": {"districts": [{"district": str(r.district_id),
                                      "start": f"{str(r.mms_start)[:4]}-{str(r.mms_start)[4:]}"}
                                     for r in ro.itertuples()]},
            "consumption": {"store": "s.duckdb", "months": 6}}
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(data))
    sc = load_scenario(tmp_path / "sc.yaml")
    dist = example_country.org_units[example_country.org_units["level"] == 3]
    assert {d.id for d in sc.geography.districts or []} == set(dist["id"])
    pops = {d.id: d.population for d in sc.geography.districts or []}
    assert pops == dict(zip(dist["id"], dist["population"].astype(float), strict=True))
    r = run_forecast(sc)
    assert r.consumption is not None and set(r.consumption["district"]) == set(dist["id"])


def test_missing_store_named(tmp_path: Path) -> None:
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump({"start": "2025-01",
                                                      "geography": {"store": "nope.duckdb"}}))
    with pytest.raises(InputError) as exc:
        load_scenario(tmp_path / "sc.yaml")
    assert exc.value.field == "geography.store"
