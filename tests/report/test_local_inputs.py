"""`mmsis report` built from the files a programme links (store, survey, roll-out, scenario):
the numbers are the user's, the sources name the files, a missing file stops with exit 2, and
the example country stays the default without a plan."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.datasets import ExampleCountry
from mmsis.plan.workspace import DataLinks, Programme, save_programme
from report.testland import ORG_UNITS, values

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]

ELEMENTS = pd.DataFrame({"id": ["ANC1", "MMS_CLIENTS"], "name": ["ANC1", "MMS clients"],
                         "aggregation_type": ["SUM", "SUM"]})


def _store(path: Path) -> None:
    """ANC1 10 (F1) and 20 (F2) a month, MMS clients 4 and 8, January-March 2024."""
    from mmsis.data.store import Store

    with Store(path) as st:
        assert st.import_metadata({"org_units": ORG_UNITS, "data_elements": ELEMENTS}).ok
        assert st.import_data_values(values(["202401", "202402", "202403"])).ok


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory,
           example_country: ExampleCountry) -> dict[str, Any]:
    """A plan in one folder linking a store and a Stata survey in a sub-folder by relative paths."""
    root = tmp_path_factory.mktemp("linked")
    (root / "data").mkdir()
    _store(root / "data" / "testland.duckdb")
    survey = example_country.survey.sample(n=1500, random_state=1).reset_index(drop=True)
    survey.to_stata(root / "data" / "testland_survey.dta", write_index=False, version=118)
    save_programme(Programme(country="Testland", name="Testland MMS programme",
                             data=DataLinks(store="data/testland.duckdb",
                                            surveys=["data/testland_survey.dta"])),
                   root / "plan.yaml")
    out = root / "report"
    res = runner.invoke(app, ["report", "--out", str(out), "--plan", str(root / "plan.yaml")])
    assert res.exit_code == 0, res.output
    return {"root": root, "output": res.output, "html": (out / "report.html").read_text(),
            "survey": survey}


def test_linked_files_give_the_numbers_not_examplia(linked: dict[str, Any]) -> None:
    html = linked["html"]
    assert "MMS implementation report: Testland" in html
    assert "Examplia" not in html and "synthetic example country" not in html
    # latest quarter by hand: MMS clients 3 x (4 + 8) = 36 over ANC1 3 x (10 + 20) = 90
    row = re.search(r"<td>Jan-Mar 2024</td><td>MMS clients per ANC1 client</td>(.*?)</tr>", html)
    assert row, "no latest-quarter row for mms_share_of_anc1"
    assert re.findall(r">([^<]*)</td>", row.group(1)) == ["0.4", "36", "90"]
    # the sources name the linked files (resolved from the plan's folder) and their counts
    assert "testland.duckdb (data.store in plan.yaml): 12 data values" in html
    assert "testland_survey.dta (1,500 rows; data.surveys[0] in plan.yaml)" in html
    assert "DHS-style, 1,500 women" in html


def test_linked_survey_numbers_are_the_files(linked: dict[str, Any]) -> None:
    from mmsis.data.survey.profile import load_profile
    from mmsis.data.survey.recode import recode
    from mmsis.measure.survey.cascade import cascade

    rec = recode(linked["survey"], load_profile("dhs"), supplement="MMS", period_months=24)
    c = cascade(rec)
    anc1 = c[(c["of"] == "all women") & (c["step"] == "anc1")].iloc[0]
    cell = re.search(r"<td>ANC1\+ \(any antenatal visit\)</td><td class=\"num\">([\d.]+)%",
                     linked["html"])
    assert cell and float(cell.group(1)) == pytest.approx(100 * anc1["estimate"], abs=0.051)


def test_unlinked_parts_say_what_to_link(linked: dict[str, Any]) -> None:
    out = linked["output"].replace("\n", " ")
    assert "Section evaluation not available: no MMS start month per district linked: set " \
           "data.rollout in plan.yaml" in re.sub(r"\s+", " ", out)
    assert "Section decide not available: no forecast scenario linked: set data.scenario in " \
           "plan.yaml" in re.sub(r"\s+", " ", out)
    assert "Not available: no forecast scenario linked" in linked["html"]


def test_store_is_closed_after_the_report(linked: dict[str, Any]) -> None:
    from mmsis.data.store import Store

    # a connection left open read-only would refuse this read-write open in the same process
    with Store(linked["root"] / "data" / "testland.duckdb") as st:
        assert st.count("data_values") == 12


def test_options_override_the_plan_links(linked: dict[str, Any], tmp_path: Path) -> None:
    root = linked["root"]
    # one wave only: the roll-out is read (and named) but the evaluation says why it cannot run
    pd.DataFrame({"district_id": ["D1", "D2", "D9"], "mms_start": ["202402"] * 3}).to_csv(
        tmp_path / "waves.csv", index=False)
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--plan",
                              str(root / "plan.yaml"), "--rollout", str(tmp_path / "waves.csv"),
                              "--survey", str(tmp_path / "none.csv")])
    assert isinstance(res.exception, Exception) and "none.csv" in str(res.exception)
    assert "--survey" in str(res.exception)
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--plan",
                              str(root / "plan.yaml"), "--rollout", str(tmp_path / "waves.csv")])
    assert res.exit_code == 0, res.output
    out = re.sub(r"\s+", " ", res.output)
    assert "waves.csv (3 districts, 2 of them in the store; --rollout)" in out
    assert "Section evaluation not available: the rollout data could not be used" in out
    assert "two different months" in out


def test_missing_linked_file_exits_2_naming_it(tmp_path: Path) -> None:
    save_programme(Programme(country="Testland", data=DataLinks(store="gone.duckdb")),
                   tmp_path / "mmsis-plan.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "mmsis.cli", "report", "--out", str(tmp_path / "r"), "--plan",
         str(tmp_path / "mmsis-plan.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    err = " ".join(proc.stderr.split())
    assert f"file {tmp_path / 'gone.duckdb'}: file not found" in err
    assert "data.store in mmsis-plan.yaml" in err
    assert not (tmp_path / "r" / "report.html").exists()


def test_plan_without_links_reports_what_to_link(tmp_path: Path) -> None:
    save_programme(Programme(country="Testland"), tmp_path / "plan.yaml")
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--plan",
                              str(tmp_path / "plan.yaml")])
    assert res.exit_code == 0, res.output
    out = re.sub(r"\s+", " ", res.output)
    for sid in ("cascade", "routine", "evaluation", "decide"):
        assert f"Section {sid} not available" in out
    assert "no routine data store linked: set data.store in plan.yaml" in out
    assert "no survey microdata file linked: add a survey microdata file" in out
    html = (tmp_path / "r" / "report.html").read_text()
    assert "Examplia" not in html and "MMS implementation report: Testland" in html


def test_bad_rollout_rows_are_named(tmp_path: Path) -> None:
    from mmsis.errors import InputError
    from mmsis.report.local_inputs import Link, read_rollout

    (tmp_path / "r.csv").write_text("district_id,mms_start\nD1,202401\nD2,2024-13\n,202402\n")
    with pytest.raises(InputError, match=r"2 row\(s\).*rows 2, 3") as info:
        read_rollout(Link(tmp_path / "r.csv", "--rollout"))
    assert info.value.file == str(tmp_path / "r.csv") and info.value.row == 2


def test_linked_rollout_and_scenario_are_read_as_user_text(tmp_path: Path) -> None:
    """A Latin-1 roll-out, an open quote and a deeply nested scenario are errors naming the file
    (encoding, row), never a traceback: the report's readers use textio and yamlread."""
    from mmsis.errors import InputError
    from mmsis.report.local_inputs import Link, read_rollout, read_scenario

    latin = tmp_path / "latin.csv"
    latin.write_bytes("district_id,mms_start\nSégou,202401\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8") as info:
        read_rollout(Link(latin, "--rollout"))
    assert info.value.file == str(latin)
    quoted = tmp_path / "quote.csv"
    quoted.write_text('district_id,mms_start\nD1,202401\n"D2,202402\nD3,202403\n')
    with pytest.raises(InputError) as info:
        read_rollout(Link(quoted, "--rollout"))
    assert info.value.row == 2  # the second data row (line 3)
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError) as info:
        read_scenario(Link(deep, "--scenario"))
    assert info.value.file == str(deep)


def test_example_flag_and_no_plan_keep_the_example_country(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "the bundled example country Examplia (synthetic)" in res.output
    html = (tmp_path / "a" / "report.html").read_text()
    assert "Examplia is a synthetic example country" in html and "Not available" not in html
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "b"), "--example"])
    assert res.exit_code == 0, res.output
    assert "Examplia is a synthetic example country" in (tmp_path / "b" / "report.html") \
        .read_text()
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "c"), "--example", "--store",
                              str(tmp_path / "x.duckdb")])
    assert res.exception is not None and "--example" in str(res.exception)


def _tables(html: str, section: str) -> list[str]:
    """The tables of one report section (numbers as rendered), without its sources."""
    body = html.split(f'<section id="{section}">')[1].split("</section>")[0]
    return re.findall(r"<table>.*?</table>", body, flags=re.S)


def test_readme_tour_report_uses_the_users_files(tmp_path: Path, example_country: ExampleCountry,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The README flow: example files, imports into mmsis.duckdb, plan init, report --plan."""
    from mmsis.report.build import build_report

    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMSIS_STORE", raising=False)
    steps = [["datasets", "example", "--out", "example/"]] + [
        ["routine", "import", f"example/{f}"]
        for f in ("metadata.json", "org_units.csv", "reports.csv", "data_values.json")] + [
        ["plan", "init", "--country", "Examplia", "--from-example"],
        ["report", "--out", "report/", "--plan", "mmsis-plan.yaml"]]
    for args in steps:
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    assert "Data (routine): local store mmsis.duckdb" in res.output
    html = (tmp_path / "report" / "report.html").read_text()
    assert "Not available" not in html and "synthetic example country" not in html
    for name in ("mmsis.duckdb (data.store in mmsis-plan.yaml)",
                 "example/survey.csv (12,000 rows", "example/rollout.csv (24 districts",
                 "examples/scenarios/example_country.yaml (data.scenario"):
        assert name in html, name
    # same data as the bundled example country, so the same numbers
    ex = build_report(tmp_path / "ex", country=example_country).html.read_text()
    anc1 = re.compile(r"<td>ANC1\+ \(any antenatal visit\)</td><td class=\"num\">([\d.]+%)")
    assert anc1.findall(html) == anc1.findall(ex) and anc1.findall(html)
    for section in ("cascade", "routine", "evaluation", "decide"):
        assert _tables(html, section) == _tables(ex, section), section
    rr = re.compile(r"did2s rate ratio ([\d.]+)")
    assert rr.findall(html) == rr.findall(ex) and rr.findall(html)
    # without a roll-out file the scenario's planned start months stand in (same months here)
    plan = (tmp_path / "mmsis-plan.yaml").read_text()
    (tmp_path / "no-rollout.yaml").write_text(
        "\n".join(line for line in plan.splitlines() if "rollout.csv" not in line))
    res = runner.invoke(app, ["report", "--out", "r2/", "--plan", "no-rollout.yaml"])
    assert res.exit_code == 0, res.output
    html2 = (tmp_path / "r2" / "report.html").read_text()
    assert "the start months of rollout.districts in" in html2
    assert _tables(html2, "evaluation") == _tables(ex, "evaluation")


def test_a_store_that_is_not_duckdb_is_named(tmp_path: Path) -> None:
    from mmsis.errors import InputError
    from mmsis.report.local_inputs import Link, report_inputs_from_files

    (tmp_path / "values.csv").write_text("dataElement,period,orgUnit,value\nANC1,202401,F1,3\n")
    with pytest.raises(InputError, match="not a DuckDB store \\(linked by --store\\)") as info:
        report_inputs_from_files("Testland", store=Link(tmp_path / "values.csv", "--store"))
    assert info.value.file == str(tmp_path / "values.csv")


def test_plan_surveys_are_the_waves_and_the_plan_the_statuses(tmp_path: Path,
                                                               example_country: ExampleCountry
                                                               ) -> None:
    """Every file of data.surveys is a wave (data.surveys[0] analysed, the others read only
    when used) and the plan file is the programme's statuses; with --example the example's
    data are judged by the plan's team."""
    from mmsis.plan.workspace import KeyResultStatus, load_programme
    from mmsis.report.local_inputs import plan_surveys, report_inputs_from_files

    survey = example_country.survey
    survey.head(400).to_csv(tmp_path / "s2024.csv", index=False)
    survey.tail(300).to_csv(tmp_path / "s2021.csv", index=False)
    team = Programme(country="Testland", name="Testland MMS programme",
                     data=DataLinks(surveys=["s2024.csv", "s2021.csv"]),
                     key_results=[KeyResultStatus(key_result="explore_policy_tag",
                                                  status="met")])
    save_programme(team, tmp_path / "plan.yaml")
    plan = load_programme(tmp_path / "plan.yaml")
    links = plan_surveys(plan, tmp_path / "plan.yaml")
    country = report_inputs_from_files("Testland", survey=links[0], surveys=links,
                                       statuses=plan)
    assert [w.file for w in country.waves] == ["s2024.csv", "s2021.csv"]
    assert country.chosen_wave is country.waves[0] and len(country.survey) == 400
    assert country.waves[1].frame is None and len(country.waves[1].respondents()) == 300
    assert country.statuses is plan
    # --example: the example country's data judged by this plan's team (its programme)
    res = runner.invoke(app, ["report", "--out", str(tmp_path / "ex"), "--example",
                              "--plan", str(tmp_path / "plan.yaml")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "ex" / "report.html").read_text()
    assert "Examplia is a synthetic example country" in html
    assert "MMS implementation report: Testland" in html  # the plan's programme
