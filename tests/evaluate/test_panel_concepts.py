"""`mmsis evaluate panel` finds ANC1 through the concept mapping: the example's own ids, or a
country whose DHIS2 UIDs differ, give the same panel."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from mmsis.cli import app

runner = CliRunner()


def _panel(directory: Path, out: Path, *extra: str) -> pd.DataFrame:
    res = runner.invoke(app, ["evaluate", "panel", str(directory), "--out", str(out), "--json",
                              *extra])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["districts"] == 24
    return pd.read_csv(out)


def test_panel_follows_the_mapping_of_the_folder(example_country, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ex = tmp_path / "ex"
    example_country.write(ex)
    by_concept = _panel(ex, tmp_path / "a.csv")  # concepts.yaml of the folder: anc1 -> ANC1
    by_id = _panel(ex, tmp_path / "b.csv", "--element", "ANC1")
    pd.testing.assert_frame_equal(by_concept, by_id)
    # the same country with DHIS2 UIDs: values renamed, the mapping says which is ANC1
    dv = pd.read_csv(ex / "data_values.csv")
    dv["dataElement"] = dv["dataElement"].replace({"ANC1": "fbfJHSPpUQD"})
    dv.to_csv(ex / "data_values.csv", index=False)
    doc = yaml.safe_load((ex / "concepts.yaml").read_text())
    doc["elements"]["anc1"] = "fbfJHSPpUQD"
    mapping = tmp_path / "uids.yaml"
    mapping.write_text(yaml.safe_dump(doc))
    by_uid = _panel(ex, tmp_path / "c.csv", "--concepts", str(mapping))
    pd.testing.assert_frame_equal(by_uid, by_id)
