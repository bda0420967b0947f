"""Strings marked for French and Portuguese (issue #17): the key results' descriptions and
expected evidence, the scenario form, the dashboard's chart title, the charts' descriptions
and the accounts page go through gettext and the catalogs translate them, so a string left in
English (not marked, or marked but not translated) fails here."""

from __future__ import annotations

import configparser
import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from tests.catalog_texts import CATALOG, translated
from tests.web.conftest import World

from mmsis import i18n

ROOT = Path(__file__).resolve().parents[2]


def _text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_key_results_texts_are_extracted_andtranslated() -> None:
    """babel.cfg extracts the key results' descriptions and expected evidence, and each one
    has a French and a Portuguese translation in the catalogs."""
    from mmsis.i18n_extract import extract_yaml

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "babel.cfg")
    path = "src/mmsis/framework/data/key_results.yaml"
    keys = cfg[f"kbyaml: {path}"]["keys"]
    assert {"description", "evidence"} <= set(keys.split(","))
    data = (ROOT / path).read_bytes()
    ids = [m[2] for m in extract_yaml(io.BytesIO(data), None, None, {"keys": keys})]
    from mmsis.framework import load_framework

    shown = [t for kr in load_framework().key_results for t in (kr.description, kr.evidence) if t]
    assert set(shown) <= set(ids)
    missing = [m for m in shown for lang in ("fr", "pt") if not translated(m, lang)]
    assert not missing, missing[:5]


def test_the_scenario_forms_words_are_alltranslated() -> None:
    from mmsis.web.scenario_form import GROUPS

    words = [title for title, _ in GROUPS]
    for _, fields in GROUPS:
        for f in fields:
            words += [f.label, *([f.help] if f.help else []), *(name for _, name in f.choices)]
    missing = [w for w in words for lang in ("fr", "pt") if not translated(w, lang)]
    assert not missing, missing


def test_key_results_page_shows_descriptions_and_evidence_in_french(world: World) -> None:
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0]
    page = _text(world.client("viewer").get(f"/w/{world.workspace_id}/key-results",
                                            headers={"Accept-Language": "fr"}).text)
    assert CATALOG[kr.description]["fr"] in page and kr.description not in page
    assert "Preuve attendue : " + CATALOG[kr.evidence]["fr"] in page
    en = _text(world.client("viewer").get(f"/w/{world.workspace_id}/key-results",
                                          headers={"Accept-Language": "en"}).text)
    assert kr.description in en and f"Evidence expected: {kr.evidence}" in en


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory, example_country: Any) -> Any:
    """The example workspace (it has a scenario), logged in as its owner."""
    from fastapi.testclient import TestClient
    from tests.web.conftest import login

    from mmsis.demos.web import seed_demo
    from mmsis.web import create_app

    base = tmp_path_factory.mktemp("marked")
    url = f"sqlite:///{base / 'demo.sqlite3'}"
    info = seed_demo(url, base / "data", country=example_country)
    client = TestClient(create_app(url, secret_key="marked-test"))
    login(client, info["email"], info["password"])
    yield client, info["workspace_id"]
    client.close()


def test_scenario_form_in_portuguese(demo_client: Any) -> None:
    c, wid = demo_client
    page = _text(c.get(f"/w/{wid}/scenario", headers={"Accept-Language": "pt"}).text)
    for en in ("Wastage (% of tablets lost)", "Regimen and adherence",
               "Count stillbirths averted", "A direct effect on neonatal mortality"):
        assert CATALOG[en]["pt"] in page and en not in page, en
    en_page = _text(c.get(f"/w/{wid}/scenario", headers={"Accept-Language": "en"}).text)
    assert "Wastage (% of tablets lost)" in en_page


def test_trend_chart_description_in_french(demo_client: Any) -> None:
    c, wid = demo_client
    page = c.get(f"/w/{wid}", headers={"Accept-Language": "fr"}).text
    descs = [html.unescape(d) for d in re.findall(r"<desc [^>]*>(.*?)</desc>", page, re.S)]
    assert descs and all(" by " not in d and "shaded:" not in d and "marked:" not in d
                         for d in descs), descs
    assert "Clientes par mois — tous les districts que vous voyez" in html.unescape(page)


def test_accounts_page_in_french(world: World) -> None:
    page = _text(world.client("admin").get("/users", headers={"Accept-Language": "fr"}).text)
    assert "Tous les comptes de ce serveur" in page and "Every account" not in page
    assert "Nouveau mot de passe pour " in page and "New password for" not in page


def test_chart_axis_in_millions_in_the_language() -> None:
    from mmsis.web.charts import _in_millions

    assert _in_millions("Budget (USD)") == "Budget (USD, millions)"
    with i18n.language("pt"):
        expected = CATALOG["%(label)s, millions)"]["pt"] % {"label": "Orçamento (USD"}
        real = i18n.translations("pt").gettext("%(label)s, millions)")
        assert _in_millions("Orçamento (USD)") in (expected, real % {"label": "Orçamento (USD"})


def test_relative_risk_parameters_are_named_in_the_language() -> None:
    """rr.<effect> is composed from the effect's outcome: both parts are translated."""
    from mmsis.present.labels import Labels

    labels = Labels()
    assert labels.label("rr.preterm", "parameter") == "Relative risk of preterm birth, MMS vs IFA"
    with i18n.language("fr"):
        assert labels.label("rr.preterm", "parameter") == \
            "Risque relatif de naissance prématurée, MMS contre FAF"
        assert labels.label("preterm", "effect") == "naissance prématurée"


def test_the_quality_sentence_names_its_weakest_metric_in_the_language() -> None:
    """The dashboard's data-quality verdict: '(% des rapports MNH_MONTHLY attendus : ...)'."""
    import pandas as pd

    from mmsis.present.sentences import quality

    summary = pd.DataFrame([
        {"dimension": "completeness", "metric": "% of expected MNH_MONTHLY reports",
         "value": 71.0},
        {"dimension": "outliers", "metric": "% of values not extreme outliers (> 3 SD)",
         "value": 99.0}])
    en = quality(85.0, summary, 3)
    assert "% of expected MNH_MONTHLY reports" in en
    with i18n.language("fr"):
        fr = quality(85.0, summary, 3)
        expected = i18n.gettext("%% of expected %(data_set)s reports") % {
            "data_set": "MNH_MONTHLY"}
    assert "% of expected" not in fr and expected in fr and expected != en
    # a data set's name has spaces (its DHIS2 metadata name): translated whole as well
    named = summary.assign(metric=["% of expected MNH monthly form reports", summary.metric[1]])
    with i18n.language("pt"):
        pt = quality(85.0, named, 3)
        want = i18n.gettext("%% of expected %(data_set)s reports") % {
            "data_set": "MNH monthly form"}
    assert "% of expected" not in pt and want in pt
