"""Group priority setting by the CHNRI method (Rudan et al.): scores, agreement, ranking.

Each member of the group scores each research question on each criterion: 1 (yes), 0.5
(undecided), 0 (no), or blank ("I don't know enough to answer"). Per question:

- the *criterion score* is 100 x the mean of the non-blank scores on that criterion;
- the *research priority score* (RPS) is the weighted mean of its criterion scores (weights
  default to 1; a criterion no one could score is left out of that question's mean);
- the *average expert agreement* (AEA) is, averaged over the criteria, the share of the
  members answering that criterion who gave its most frequent answer.

As in Rudan et al. (J Glob Health 2016;6:010501; Croat Med J 2008;49:720-33), blanks count in
neither the scores nor the agreement. docs/plan.md works an example by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mmsis.errors import InputError

DEFAULT_CRITERIA: tuple[str, ...] = (
    "answerability", "effectiveness", "deliverability", "maximum_impact", "equity",
)
"""The five CHNRI criteria most exercises use (Rudan et al. 2008); a team may name its own."""

CRITERION_LABELS = {
    "answerability": "Answerability",
    "effectiveness": "Effectiveness",
    "deliverability": "Deliverability",
    "maximum_impact": "Maximum impact",
    "equity": "Equity",
}
ALLOWED_SCORES = (0.0, 0.5, 1.0)
MAX_ROWS = 200_000


@dataclass(frozen=True)
class QuestionPriority:
    """One question's CHNRI scores: per criterion (0-100, None if no one scored it), RPS, AEA."""

    question: str
    criteria: dict[str, float | None]
    rps: float | None
    aea: float | None
    raters: int

    def to_dict(self) -> dict[str, Any]:
        """Plain record: question, rps, aea, raters and one key per criterion."""
        return {"question": self.question, "rps": self.rps, "aea": self.aea,
                "raters": self.raters, **self.criteria}


@dataclass(frozen=True)
class Prioritisation:
    """The group's priority scores for every question, ranked by RPS (ties by question id)."""

    criteria: tuple[str, ...]
    weights: dict[str, float]
    questions: list[QuestionPriority] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per question, best first: rank, question, rps, aea, raters, criteria."""
        rows = [{"rank": i, **q.to_dict()} for i, q in enumerate(self.questions, start=1)]
        cols = ["rank", "question", "rps", "aea", "raters", *self.criteria]
        return pd.DataFrame(rows, columns=cols)

    def to_dict(self) -> dict[str, Any]:
        """Criteria, weights and the ranked rows (what `--json` prints under `questions`)."""
        return {"criteria": list(self.criteria), "weights": self.weights,
                "questions": [q.to_dict() for q in self.questions]}

    def rps(self) -> dict[str, float]:
        """Question id -> research priority score (0-100), for questions that have one."""
        return {q.question: q.rps for q in self.questions if q.rps is not None}


def _score(value: Any, row: int, file: str | None) -> float | None:
    """One cell of the score column: 1, 0.5, 0 or blank; anything else is refused."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text == "" or text.lower() in ("na", "dk", "don't know", "blank"):
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if number not in ALLOWED_SCORES:
        raise InputError(f"a CHNRI score is 1, 0.5, 0 or blank, not {text!r}",
                         file=file, row=row, column="score")
    return number


def read_scores(path: str | Path) -> pd.DataFrame:
    """Read a CSV `rater,question,criterion,score` (one row per member x question x criterion)."""
    from mmsis.data.csvread import read_user_frame  # encodings named, open quotes by row

    p = Path(path)
    raw = read_user_frame(p, nrows=MAX_ROWS + 1)
    if len(raw) > MAX_ROWS:
        raise InputError(f"more than {MAX_ROWS:,} rows", file=str(p))
    return scores_frame(raw, file=str(p))


def scores_frame(raw: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """Check a table of scores (columns rater, question, criterion, score) and type it."""
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ("rater", "question", "criterion", "score") if c not in raw.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; expected "
                         "rater,question,criterion,score", file=file, column=missing[0])
    out = raw[["rater", "question", "criterion"]].astype(str).apply(lambda s: s.str.strip())
    for col in ("rater", "question", "criterion"):
        empty = out.index[out[col] == ""]
        if len(empty):
            raise InputError(f"{col} is empty", file=file, row=int(empty[0]) + 1, column=col)
    out["score"] = [_score(v, i + 1, file) for i, v in enumerate(raw["score"].tolist())]
    dup = out.duplicated(["rater", "question", "criterion"], keep="first")
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        r = out.iloc[i]
        raise InputError(f"{r['rater']} scored {r['question']} on {r['criterion']} twice",
                         file=file, row=i + 1, column="criterion")
    return out


def _weights(criteria: Sequence[str], weights: Mapping[str, float] | None) -> dict[str, float]:
    """Weights per criterion (1 by default); unknown criteria and negative weights refused."""
    w = {c: 1.0 for c in criteria}
    for name, value in (weights or {}).items():
        if name not in w:
            raise InputError(f"weight for unknown criterion {name!r}; the criteria are "
                             f"{', '.join(criteria)}", field="weights")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"the weight of {name} is not a number", field="weights") from None
        if not math.isfinite(number) or number < 0:
            raise InputError(f"the weight of {name} must be a number >= 0", field="weights")
        w[name] = number
    if not any(w.values()):
        raise InputError("at least one criterion needs a weight above 0", field="weights")
    return w


def prioritise(
    scores: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    criteria: Sequence[str] | None = None,
) -> Prioritisation:
    """CHNRI criterion scores, RPS and AEA per question from the group's scores, ranked."""
    table = scores_frame(scores)
    found = list(dict.fromkeys(table["criterion"].tolist()))
    if criteria is None:
        named = [c for c in DEFAULT_CRITERIA if c in found]
        crit = tuple(named + [c for c in found if c not in DEFAULT_CRITERIA])
    else:
        crit = tuple(criteria)
        unknown = sorted(set(found) - set(crit))
        if unknown:
            raise InputError(f"scores for criteria not chosen: {', '.join(unknown)}",
                             column="criterion")
    w = _weights(crit, weights)
    results: list[QuestionPriority] = []
    for question, rows in table.groupby("question", sort=True):
        per: dict[str, float | None] = {}
        agreement: list[float] = []
        for c in crit:
            answers = rows.loc[rows["criterion"] == c, "score"].dropna().astype(float)
            if answers.empty:
                per[c] = None
                continue
            per[c] = round(100.0 * float(answers.mean()), 6)
            agreement.append(float(answers.value_counts().max()) / len(answers))
        scored = [(w[c], v) for c, v in per.items() if v is not None and w[c] > 0]
        total = sum(wc for wc, _ in scored)
        rps = round(sum(wc * v for wc, v in scored) / total, 6) if total else None
        aea = round(sum(agreement) / len(agreement), 6) if agreement else None
        results.append(QuestionPriority(str(question), per, rps, aea,
                                        int(rows["rater"].nunique())))
    results.sort(key=lambda q: (-(q.rps if q.rps is not None else -1.0), q.question))
    return Prioritisation(criteria=crit, weights=w, questions=results)


def read_weights(path: str | Path) -> dict[str, float]:
    """Criterion weights from a small YAML file: `criterion: weight` (or under `weights:`)."""
    from mmsis.data import yamlread

    p = Path(path)
    if p.is_file() and p.stat().st_size > 100_000:
        raise InputError("a weights file is at most 100 kB", file=str(p))
    # decoded by textio (encodings named), depth and aliases bounded, errors name the line
    data: Any = yamlread.load_yaml(p, max_bytes=100_000)  # values checked by the caller
    if isinstance(data, dict) and isinstance(data.get("weights"), dict):
        data = data["weights"]
    if not isinstance(data, dict) or any(isinstance(v, dict | list) for v in data.values()):
        raise InputError("expected a mapping `criterion: weight`", file=str(p))
    return {str(k): v for k, v in data.items()}
