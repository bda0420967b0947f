"""CHNRI group priority setting: a five-rater example worked by hand, weights, refusals, the CLI
contract (`mmsis plan prioritise SCORES.csv --json`) and the agenda ranked by the group."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mmsis.cli import app
from mmsis.demos.examples import example_programme
from mmsis.errors import InputError
from mmsis.framework.loader import load_framework
from mmsis.plan.agenda import build_agenda
from mmsis.plan.chnri import DEFAULT_CRITERIA, prioritise, read_scores, read_weights
from mmsis.plan.scorecard import assess

# Five raters (A-E) x two questions x the five default criteria; None = blank ("don't know").
SCORES = {
    ("qa", "answerability"): [1, 1, 1, 0.5, 0],
    ("qa", "effectiveness"): [1, 1, 1, 1, 1],
    ("qa", "deliverability"): [0.5, 0.5, 1, None, 0],
    ("qa", "maximum_impact"): [1, 0, 0, 0, None],
    ("qa", "equity"): [1, 1, 0.5, 0.5, 1],
    ("qb", "answerability"): [0, 0, 0, 0, 0],
    ("qb", "effectiveness"): [1, 0.5, None, None, None],
    ("qb", "deliverability"): [None, None, None, None, None],
    ("qb", "maximum_impact"): [1, 1, 1, 1, 0.5],
    ("qb", "equity"): [0.5, 0.5, 0.5, 1, 1],
}
# By hand: criterion score = 100 x mean of the non-blank answers.
QA = {"answerability": 70.0, "effectiveness": 100.0, "deliverability": 50.0,
      "maximum_impact": 25.0, "equity": 80.0}
QB = {"answerability": 0.0, "effectiveness": 75.0, "deliverability": None,
      "maximum_impact": 90.0, "equity": 70.0}
# RPS = mean of the scored criteria; AEA = mean over criteria of (modal count / answers).
QA_RPS = (70 + 100 + 50 + 25 + 80) / 5  # 65.0
QA_AEA = (3 / 5 + 5 / 5 + 2 / 4 + 3 / 4 + 3 / 5) / 5  # 0.69
QB_RPS = (0 + 75 + 90 + 70) / 4  # 58.75
QB_AEA = (5 / 5 + 1 / 2 + 4 / 5 + 3 / 5) / 4  # 0.725


def _frame() -> pd.DataFrame:
    rows = [
        {"rater": r, "question": q, "criterion": c, "score": "" if v is None else str(v)}
        for (q, c), values in SCORES.items()
        for r, v in zip("ABCDE", values, strict=True)
    ]
    return pd.DataFrame(rows)


def _csv(tmp_path: Path, frame: pd.DataFrame | None = None) -> Path:
    path = tmp_path / "scores.csv"
    (frame if frame is not None else _frame()).to_csv(path, index=False)
    return path


def test_five_raters_equal_the_hand_calculation() -> None:
    result = prioritise(_frame())
    assert result.criteria == DEFAULT_CRITERIA
    qa, qb = result.questions  # ranked: qa (65) before qb (58.75)
    assert qa.question == "qa" and qb.question == "qb"
    assert qa.criteria == pytest.approx(QA)
    assert {k: v for k, v in qb.criteria.items() if v is not None} == pytest.approx(
        {k: v for k, v in QB.items() if v is not None})
    assert qb.criteria["deliverability"] is None
    assert qa.rps == pytest.approx(QA_RPS) and qa.aea == pytest.approx(QA_AEA)
    assert qb.rps == pytest.approx(QB_RPS) and qb.aea == pytest.approx(QB_AEA)
    assert qa.raters == qb.raters == 5


def test_weights_change_the_rps_and_the_ranking() -> None:
    w = {"answerability": 0, "maximum_impact": 3}
    result = prioritise(_frame(), weights=w)
    by_q = {q.question: q for q in result.questions}
    qa = (100 + 50 + 3 * 25 + 80) / 6
    qb = (75 + 3 * 90 + 70) / 5
    assert by_q["qa"].rps == pytest.approx(qa) and by_q["qb"].rps == pytest.approx(qb)
    assert [q.question for q in result.questions] == ["qb", "qa"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"score": "2"}, "1, 0.5, 0 or blank"), ({"score": "yes"}, "1, 0.5, 0 or blank"),
     ({"rater": " "}, "rater is empty")],
)
def test_bad_cells_are_refused_with_their_row(tmp_path: Path, bad: dict[str, str],
                                             message: str) -> None:
    frame = _frame()
    for col, value in bad.items():
        frame.loc[3, col] = value
    with pytest.raises(InputError, match=message) as err:
        read_scores(_csv(tmp_path, frame))
    assert err.value.row == 4 and err.value.column == next(iter(bad))


def test_a_double_score_and_unknown_weights_are_refused(tmp_path: Path) -> None:
    frame = pd.concat([_frame(), _frame().iloc[[0]]])
    with pytest.raises(InputError, match="twice"):
        read_scores(_csv(tmp_path, frame))
    with pytest.raises(InputError, match="unknown criterion"):
        prioritise(_frame(), weights={"cost": 1})
    with pytest.raises(InputError, match=">= 0"):
        prioritise(_frame(), weights={"equity": -1})
    (tmp_path / "w.yaml").write_text("weights:\n  equity: [1, 2]\n")
    with pytest.raises(InputError, match="mapping"):
        read_weights(tmp_path / "w.yaml")


def test_cli_json_contract(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("equity: 2\n")
    out = CliRunner().invoke(app, ["plan", "prioritise", str(_csv(tmp_path)), "--weights",
                                   str(tmp_path / "w.yaml"), "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["question"] for r in rows] == ["qa", "qb"]
    assert set(rows[0]) >= {"question", "rps", "aea", *DEFAULT_CRITERIA}
    assert rows[0]["rps"] == pytest.approx((70 + 100 + 50 + 25 + 2 * 80) / 6)
    assert rows[1]["deliverability"] is None
    bad = subprocess.run([str(Path(sys.executable).with_name("mmsis")), "plan", "prioritise",
                          str(tmp_path / "nope.csv")], capture_output=True, text=True)
    assert bad.returncode == 2 and "file not found" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr


def test_the_agenda_ranks_group_scored_questions_by_their_rps() -> None:
    fw = load_framework()
    prog = example_programme()
    card = assess(prog, fw)
    plain = build_agenda(prog, fw, card, top=None)
    last = plain.items[-1].question  # the rules rank it last; the group puts it first
    rows = [{"rater": r, "question": last, "criterion": c, "score": "1"}
            for r in "ABCDE" for c in DEFAULT_CRITERIA]
    group = build_agenda(prog, fw, card, top=None, priorities=prioritise(pd.DataFrame(rows)))
    assert group.items[0].question == last and group.items[0].score == pytest.approx(1.0)
    assert any("CHNRI" in why for why in group.items[0].why)
    assert len(group.items) == len(plain.items)
