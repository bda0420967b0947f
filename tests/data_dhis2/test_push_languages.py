"""`mmsis --lang fr|pt routine push` (issue #17): the DHIS2 import summaries' titles, headers
and sentences are in the language; no catalog string is left in English."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.forecast.test_forecast_cli_languages import _cells
from tests.report.test_report_languages import left_in_english
from typer.testing import CliRunner

from data_dhis2.loopback_dhis2 import TOKEN
from data_dhis2.test_push import GOOD, _files
from mmsis import i18n
from mmsis.cli import app


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_push_summary_in_the_language(dhis2_server, tmp_path: Path, lang: str,  # type: ignore[no-untyped-def]
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHIS2_TOKEN", TOKEN)
    url, _state = dhis2_server
    mapping, values = _files(tmp_path, [*GOOD, "mms_share_of_anc1,NOWHERE,202401,50"])
    with i18n.language("en"):
        res = CliRunner().invoke(app, ["--lang", lang, "routine", "push", "--url", url,
                                       "--mapping", str(mapping), "--values", str(values)],
                                 env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert not left_in_english(_cells(res.output), lang), res.output
    text = " ".join(res.output.split())
    words = {"fr": ["statut DHIS2 :", "Conflits"],
             "pt": ["estado no DHIS2:", "Conflitos"]}[lang]
    for w in words:
        assert w in text, (w, text)
    assert "Dry run" not in text and "DHIS2 status" not in text
