"""The store's versions that key the web's caches move with every write of the data they
cover, including each chunk of a batch written in several transactions (a DHIS2 sync)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.data.store import Store

OUS = pd.DataFrame({"id": ["C", "F1"], "name": ["C", "F1"], "level": [1, 2],
                    "path": ["/C", "/C/F1"]})
DES = pd.DataFrame({"id": ["ANC1", "ANC4"], "aggregation_type": "SUM"})


def _values(period: str, value: float, de: str = "ANC1") -> pd.DataFrame:
    return pd.DataFrame({"dataElement": [de], "period": [period], "orgUnit": ["F1"],
                         "value": [value]})


def test_each_chunk_of_one_batch_moves_the_version_of_its_elements(tmp_path: Path) -> None:
    st = Store(str(tmp_path / "s.duckdb"))
    assert st.import_metadata({"org_units": OUS, "data_elements": DES}).ok
    versions = [st.elements_version(["ANC1"])]
    with st.batch("sync:1", "dhis2_sync"):
        for i, period in enumerate(["202401", "202402", "202403"]):
            assert st.import_data_values(_values(period, 10.0 + i)).ok
            versions.append(st.elements_version(["ANC1"]))
    assert len(set(versions)) == len(versions)  # every chunk gave a new version
    other = st.elements_version(["ANC4"])
    with st.batch("upload:2", "dhis2"):
        assert st.import_data_values(_values("202401", 5.0, "ANC4")).ok
    assert st.elements_version(["ANC1"]) == versions[-1]  # another element's upload: kept
    assert st.elements_version(["ANC4"]) != other
