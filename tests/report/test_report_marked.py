"""The agenda workbook's headers and periods for a French or Portuguese reader (issue #17):
every column of the scorecard, verdicts, strategies, impact and cascade sheets has a header in
the language (none written from its id), a strategy's name is not "Strategy (strategy_name)",
and DHIS2 periods read as months; the English workbook keeps its column ids and raw periods."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.catalog_texts import translated

from mmsis import i18n
from mmsis.present.labels import default_labels
from mmsis.report.documents import in_language
from mmsis.report.readable import COLUMNS as WORDS
from mmsis.report.readable import DISTINCT, HEADERS, header

COLUMNS = ["indicators", "data_sources", "weight", "evidence_type", "threshold_source",
           "team_status", "ready", "cfir", "strategy", "strategy_name", "method", "deff", "df",
           "spec_actor", "spec_action", "spec_target", "spec_temporality", "spec_dose",
           "spec_outcome", "spec_justification", "spec_missing", "period"]


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_every_header_has_words_in_the_language(lang: str) -> None:
    for col in COLUMNS:
        msgid = {**WORDS, **HEADERS}.get(col)
        assert msgid is not None, col
        assert translated(msgid, lang), (col, lang)
    for msgid in DISTINCT.values():
        assert translated(msgid, lang), msgid


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_sheet_headers_and_periods_in_the_language(lang: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame([{c: "x" for c in COLUMNS} | {"period": "202101", "weight": 1.0}])
    with i18n.language(lang):
        out = in_language(frame)
        heads = [header(c, default_labels()) for c in COLUMNS]
    assert not [h for h in out.columns if "(" in h and "_" in h]  # no "Label (column_id)"
    english = {c.replace("_", " ").lower() for c in COLUMNS} | {"cfir", "deff", "df"}
    assert not [h for h in out.columns if h.lower() in english], list(out.columns)
    assert len(set(out.columns)) == len(COLUMNS) and heads[-1] == out.columns[-1]
    month = {"fr": "janv. 2021", "pt": "jan. 2021"}[lang]
    assert out.iloc[0, -1] == month, out.iloc[0, -1]


def test_the_english_sheet_keeps_ids_and_raw_periods() -> None:
    frame = pd.DataFrame([{"period": "202101", "strategy": "a", "strategy_name": "A"}])
    with i18n.language("en"):
        out = in_language(frame)
    assert list(out.columns) == ["period", "strategy", "strategy_name"]
    assert out.iloc[0, 0] == "202101"


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_sample_size_assumptions_are_named_in_words(lang: str) -> None:
    """The protocol's 'Inputs:' list names each assumption ("margin of error", not "Margin")."""
    from mmsis.report.documents import SAMPLE_INPUTS

    assert {"p", "margin", "deff", "take", "nonresponse"} <= set(SAMPLE_INPUTS)
    missing = [m for m in SAMPLE_INPUTS.values() if not translated(m, lang)]
    assert not missing, missing


def test_the_report_sources_are_sentences_of_the_catalog() -> None:
    """Where the report's data came from (file, rows, local store, data values) is written
    through gettext with the language's numbers, not as an English f-string."""
    import ast
    import inspect

    from mmsis.report import local_inputs

    tree = ast.parse(inspect.getsource(local_inputs))
    english = [ast.unparse(n)[:60] for n in ast.walk(tree) if isinstance(n, ast.Assign)
               and any(isinstance(t, ast.Subscript) and "sources" in ast.unparse(t.value)
                       for t in n.targets)
               and any(isinstance(v, ast.JoinedStr) for v in ast.walk(n.value))]
    assert not english, english
    for msgid in ("file %(path)s (%(rows)s rows; %(origin)s)",
                  "local store %(path)s (%(origin)s): %(values)s data values, %(units)s org "
                  "units, %(elements)s data elements, %(reports)s report rows"):
        assert translated(msgid, "fr") and translated(msgid, "pt"), msgid
