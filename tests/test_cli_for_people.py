"""The example's main commands read right to a ministry officer (issue #15).

The README tour's computing commands (and each design calculator, ITS on one district) run in
a scratch folder holding the example country; their human output (not ``--json``/``--csv``)
must show no number in scientific notation, no float with more than 3 decimals, no raw period,
no knowledge-base id and no org-unit or data-element id where a label exists. "Label (id)" is
allowed only in the tables whose ids the user types back (``--scores`` questions,
``--indicator``, scenario parameters). The detectors are shared with the page scan
(``tests/people_checks.py``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.people_checks import knowledge_base_ids, problems
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
CODED_GROUPS = re.compile(r"(?:^|\s)\d \(?[-/] \d\b")
RULE_ID = re.compile(r"\b[A-Z][A-Z0-9_]*<=[A-Z][A-Z0-9_]*\b")  # a consistency rule's id
SCENARIO = "examples/scenarios/example_country.yaml"

#: (command, the user types the ids it shows back)
COMMANDS: list[tuple[str, bool]] = [
    ("plan assess", False),
    ("plan agenda --top 10", True),
    ("design survey --p 0.5 --margin 0.05 --icc 0.05 --take 20", False),
    ("design stepped-wedge --sequences 6,6,6,6 --n 120 --p0 0.05 --p1 0.035 --tau 0.01", False),
    ("design crt --outcome proportion --pe 0.15 --pc 0.20 --m 50 --icc 0.02", False),
    ("design woertman --n 120 --k 4 --t 1 --b 1 --rho 0.02", False),
    ("design hooper --sequences 6,6,6,6 --m 120 --icc 0.02", False),
    ("design individual --outcome proportion --p1 0.15 --p0 0.20", False),
    ("design layout --districts 12 --sequences 4", False),
    ("design simulate --sequences 3,3,3,3 --n 50 --p0 0.05 --p1 0.035 --tau 0.01 --reps 50",
     False),
    ("survey estimate example/survey.csv --profile dhs --stat mean --var m14 --by v025", False),
    ("survey cascade example/survey.dta --profile dhs --by v190", False),
    ("survey equity example/survey.dta --profile dhs", False),
    ("routine indicators --level 3 --period-type quarterly", True),
    ("routine quality", False),
    ("evaluate did panel.csv --outcome value --unit district_id --time period "
     "--treated-from mms_start --offset population --log", False),
    ("evaluate its its.csv --outcome value --time period --intervention mms "
     "--offset population", False),
    (f"forecast --scenario {SCENARIO} --out forecast/", False),
    (f"impact --scenario {SCENARIO} --draws 2000", True),
    ("report --out report/ --plan mmsis-plan.yaml", False),
]


def _run(args: list[str]) -> str:
    from mmsis.cli import app

    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (args, res.output[-2000:], res.exception)
    return res.output


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A scratch folder as the README tour leaves it: example files, a plan, a routine store."""
    from mmsis import _cli

    base = tmp_path_factory.mktemp("cli-people")
    shutil.copytree(ROOT / "examples", base / "examples")
    # the console's own setting (None: follow the terminal / COLUMNS), restored as it was, so
    # later tests that set COLUMNS are not held to this module's width
    here, width = Path.cwd(), _cli.console._width
    os.chdir(base)
    _cli.console.width = 400  # no wrapping: an id is read whole, not cut over two lines
    try:
        _run(["datasets", "example", "--out", "example/"])
        _run(["plan", "init", "--country", "Examplia", "--from-example"])
        for name in ("metadata.json", "org_units.csv", "reports.csv", "data_values.json"):
            _run(["routine", "import", f"example/{name}"])
        _run(["evaluate", "panel", "example/", "--element", "ANC1", "--out", "panel.csv"])
        panel = pd.read_csv("panel.csv")
        panel[panel["district_id"] == panel["district_id"].iloc[0]].to_csv("its.csv",
                                                                         index=False)
        ou = pd.read_csv("example/org_units.csv")
        ids = {str(i) for i in ou[ou.columns[0]]} | knowledge_base_ids()
        yield {"base": base, "ids": ids}
    finally:
        os.chdir(here)
        _cli.console._width = width


def test_knowledge_base_ids_are_found() -> None:
    ids = knowledge_base_ids()
    assert {"q_demand_cascade_losses", "scale_up", "anc1_coverage"} <= ids
    assert "supply" not in ids  # a word, read as a word


@pytest.mark.parametrize(("command", "typed_ids"), COMMANDS, ids=[c[0].split(" -")[0]
                                                                 for c in COMMANDS])
def test_command_output_reads_right(scratch: dict[str, Any], command: str,
                                    typed_ids: bool) -> None:
    out = _run(command.split())
    lines = [" ".join(line.replace("│", " ").replace("┃", " ").split())
             for line in out.splitlines()]
    found = problems([t for t in lines if t], scratch["ids"], typed_ids=typed_ids)
    # groups compared by their codes ("4 - 2", "4 / 2") where the survey has names
    found += [f"coded groups in {t[:90]!r}" for t in lines if CODED_GROUPS.search(t)]
    found += [f"a rule id in {t[:90]!r}" for t in lines if RULE_ID.search(t)]
    assert not found, f"mmsis {command}:\n  " + "\n  ".join(found[:12])


def test_forecast_order_plan_names_products_and_the_national_level(
        scratch: dict[str, Any]) -> None:
    out = _run(f"forecast --scenario {SCENARIO} --out forecast/".split())
    rows = [line.split("│")[1:3] for line in out.splitlines() if line.startswith("│ ")
            and ("MMS " in line or "IFA " in line or " mms " in line or " ifa " in line)]
    cells = {(p.strip(), d.strip()) for p, d in rows if d.strip()}
    assert ("MMS", "National") in cells and ("IFA", "National") in cells, cells
    assert not any(p in ("mms", "ifa") or d == "national" for p, d in cells), cells
