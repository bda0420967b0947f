"""French and Portuguese pages (issue #17): the language comes from the user's choice, else the
workspace's default, else Accept-Language; no string of the catalog is left in English."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import World

from mmsis import i18n
from mmsis.datasets import ExampleCountry

PAGES = ["/", "/account", "/w/{w}/evaluation", "/w/{w}", "/w/{w}/key-results", "/w/{w}/agenda",
         "/w/{w}/priorities", "/w/{w}/decisions", "/w/{w}/actions", "/w/{w}/report", "/w/{w}/audit",
         "/w/{w}/members", "/w/{w}/design", "/w/{w}/uploads", "/w/{w}/setup", "/w/{w}/scenario"]


USER_NAMES = {"admin", "owner", "editor", "viewer", "district", "outsider"}


def _visible_text(page: str) -> str:
    """The words a person reads: no tags, scripts, styles or attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    body = re.sub(r"<[^>]+>", "\n", body)
    return html.unescape(body)


def _untranslated(text: str, lang: str) -> list[str]:
    """Catalog messages whose English text shows although the language has a translation."""
    tr = i18n.translations(lang)
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    found = []
    for message in _catalog_ids():
        translated = tr.gettext(message)
        if translated == message or "%(" in message:
            continue
        if message in USER_NAMES:  # the test world's users are named after their roles
            continue
        if message in lines:  # a whole line (heading, label, cell, button) left in English
            found.append(message)
    return found


def _catalog_ids() -> list[str]:
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "mmsis.pot").open("rb") as fh:
        return [m.id for m in read_po(fh) if m.id and isinstance(m.id, str)]


def _seed(world: World) -> None:
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    c = world.client("editor")
    wid = world.workspace_id
    q = c.post(f"/api/workspaces/{wid}/agenda", json={"text": "Can pharmacies stock MMS?"})
    c.put(f"/api/workspaces/{wid}/chnri/scores", json={"scores": [
        {"question": f"item-{q.json()['id']}", "criterion": "equity", "score": 1}]})
    c.post(f"/api/workspaces/{wid}/decisions", json={
        "date": "2026-01-15", "what": "Start in two districts", "planned": False,
        "nature": "adding", "reasons": ["organisation"], "key_result": kr})
    c.post(f"/api/workspaces/{wid}/actions", json={
        "key_result": kr, "action": "Train pharmacists", "due": "2020-01-01",
        "status": "in_progress"})


def _check(world: World, lang: str, paths: list[str]) -> None:
    _seed(world)
    c = world.client("owner")
    c.headers["Accept-Language"] = f"{lang}-XX,{lang};q=0.9,en;q=0.5"
    for path in paths:
        r = c.get(path.format(w=world.workspace_id))
        assert r.status_code == 200, path
        assert r.headers["content-language"] == lang
        assert f'<html lang="{lang}">' in r.text
        left = _untranslated(_visible_text(r.text), lang)
        assert not left, f"{path} in {lang}: untranslated {left}"


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_every_page_in_french_and_portuguese_by_accept_language(world: World, lang: str) -> None:
    _check(world, lang, PAGES)
    login = world.client()
    page = login.get("/login", headers={"Accept-Language": lang}).text
    assert {"fr": "Mot de passe", "pt": "Palavra-passe"}[lang] in page


def test_translated_words_dates_and_numbers_on_the_pages(world: World) -> None:
    _seed(world)
    c = world.client("viewer")
    fr = c.get(f"/w/{world.workspace_id}/decisions", headers={"Accept-Language": "fr"}).text
    assert "Décisions et adaptations" in fr and "15 janv. 2026" in fr and "réactive" in fr
    pt = c.get(f"/w/{world.workspace_id}", headers={"Accept-Language": "pt"}).text
    assert "Ações em atraso" in pt and "Train pharmacists" in pt  # the user's words stay
    en = c.get(f"/w/{world.workspace_id}/actions", headers={"Accept-Language": "de, en;q=0.5"})
    assert en.headers["content-language"] == "en" and "Actions on key results" in en.text


def test_the_users_choice_beats_the_browser_and_the_workspace_default(world: World) -> None:
    wid = world.workspace_id
    owner = world.client("owner")
    token = owner.headers["X-CSRF-Token"]
    assert f'action="/w/{wid}/language"' in owner.get(f"/w/{wid}/members").text
    assert owner.post(f"/w/{wid}/language", data={"language": "pt", "csrf_token": token},
                      follow_redirects=False).status_code == 303
    viewer = world.client("viewer")
    r = viewer.get(f"/w/{wid}/actions", headers={"Accept-Language": "fr"})
    assert r.headers["content-language"] == "pt" and "Ações sobre os resultados-chave" in r.text
    vt = viewer.headers["X-CSRF-Token"]
    chosen = viewer.post("/language", data={"language": "fr", "next": f"/w/{wid}/actions",
                                            "csrf_token": vt}, follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/w/{wid}/actions"
    r = viewer.get(f"/w/{wid}/actions", headers={"Accept-Language": "en"})
    assert "Actions sur les résultats clés" in r.text
    # the choice is saved on the account: a new login (new browser) speaks French again
    fresh = world.client("viewer")
    assert "Actions sur les résultats clés" in fresh.get(f"/w/{wid}/actions").text
    bad = viewer.post("/language", data={"language": "xx", "csrf_token": vt})
    assert bad.status_code == 422
    assert world.client("viewer").post(f"/w/{wid}/language",
                                       data={"language": "fr", "csrf_token": vt}).status_code == 403


@pytest.mark.parametrize(("kind", "words"), [
    ("survey", "Entreviste"), ("crt", "conglomerados por braço ("),
    ("individual", "pessoas por braço (")])
def test_design_result_sentence_in_the_language(world: World, kind: str, words: str) -> None:
    """The calculator's verdict is the CLI's translated sentence (mmsis.present.sentences), not
    English written into the template."""
    c = world.client("viewer")
    page = c.get(f"/w/{world.workspace_id}/design?kind={kind}",
                 headers={"Accept-Language": "pt"}).text
    text = " ".join(_visible_text(page).split())
    assert words in text, text[-1500:]
    assert "power to detect" not in text and "to estimate the coverage" not in text


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, example_country: ExampleCountry
         ) -> Iterator[dict[str, Any]]:
    """The example workspace with results (routine data, survey, scenario), as `mmsis demo`."""
    from fastapi.testclient import TestClient
    from tests.web.conftest import login

    from mmsis.demos.web import seed_demo
    from mmsis.web import create_app

    base: Path = tmp_path_factory.mktemp("i18n")
    url = f"sqlite:///{base / 'demo.sqlite3'}"
    info = seed_demo(url, base / "data", country=example_country)
    client = TestClient(create_app(url, secret_key="i18n-test"))
    login(client, info["email"], info["password"])
    ou = example_country.org_units
    districts = ou[ou["level"] == 3]["id"]
    yield {"client": client, "wid": info["workspace_id"], "district": str(districts.iloc[0]),
           "control": str(districts.iloc[-1])}
    client.close()


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_result_pages_in_french_and_portuguese(demo: dict[str, Any], lang: str) -> None:
    """The pages with computed results (the dashboard's panels, an ITS and a controlled ITS,
    the scenario's forecast and impact, setup, priorities, the roadmap) leave no catalog
    string in English, and their sentences are written in the language."""
    c, w = demo["client"], f"/w/{demo['wid']}"
    c.cookies.delete("mmsis_lang")
    c.headers["Accept-Language"] = lang
    its = f"{w}/evaluation?data_element=MMS_CLIENTS&start=202307"
    cits = (f"{w}/evaluation?data_element=ANC1&start=202307&district={demo['district']}"
            f"&control={demo['control']}")
    pages = {}
    for path in (w, its, cits, f"{w}/scenario", f"{w}/setup", f"{w}/priorities",
                 f"{w}/actions"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-language"] == lang, path
        left = _untranslated(_visible_text(r.text), lang)
        assert not left, f"{path} in {lang}: untranslated {left}"
        pages[path] = _visible_text(r.text)
    words = {"fr": {its: ["au début des MMS", "Ajustement du modèle"],
                    cits: ["Par rapport au témoin"],
                    f"{w}/scenario": ["Sur ", "AVCI évitées", "Courbe d'acceptabilité"],
                    w: ["femmes ayant accouché"]},
             "pt": {its: ["quando os MMS começaram", "Ajuste do modelo"],
                    cits: ["Em comparação com o controlo"],
                    f"{w}/scenario": ["Em ", "AVAI evitados", "Curva de aceitabilidade"],
                    w: ["mulheres com um parto"]}}[lang]
    for path, expected in words.items():
        for text in expected:
            assert text in pages[path], f"{path} in {lang}: no {text!r}"
    assert "beyond the trend before" not in pages[its]


def test_report_in_french_has_no_catalog_string_in_english(tmp_path: Path) -> None:
    """`mmsis report --lang fr`: the HTML's visible lines carry no English catalog message
    (tables' cells and headers included: key-result titles, statuses, yes/no)."""
    from typer.testing import CliRunner

    from mmsis.cli import app

    with i18n.language("en"):
        r = CliRunner().invoke(app, ["report", "--out", str(tmp_path), "--lang", "fr"])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page
    text = _visible_text(page)
    assert not _untranslated(text, "fr")
    assert "Comprimés de MMS nécessaires" in text  # a table cell, translated


def _question_texts() -> list[str]:
    """The knowledge base's research questions, as the pages show them in English."""
    from mmsis.framework import load_framework

    return [" ".join(q.text.split()) for q in load_framework().questions]


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_agenda_and_priorities_show_no_question_in_english(demo: dict[str, Any],
                                                           lang: str) -> None:
    """The research questions (questions.yaml) on the agenda (suggestions and items) and the
    priorities pages are read in French or Portuguese: no English question text is left."""
    c, w = demo["client"], f"/w/{demo['wid']}"
    c.cookies.delete("mmsis_lang")
    c.headers["Accept-Language"] = lang
    english = _question_texts()
    tr = i18n.translations(lang)
    assert all(tr.gettext(q) != q for q in english), "a question has no translation"
    from mmsis.framework import load_framework

    first = load_framework().questions[0]  # on the agenda (once per module), so priorities list it
    added = c.post(f"/api/workspaces/{demo['wid']}/agenda",
                   json={"kind": "question", "text": first.text, "ref_id": first.id})
    assert added.status_code in (200, 201) or "on the agenda already" in added.text, added.text
    shown = {}
    for path in (f"{w}/agenda", f"{w}/priorities"):
        r = c.get(path)
        assert r.status_code == 200, path
        text = " ".join(_visible_text(r.text).split())
        left = [q for q in english if q in text]
        assert not left, f"{path} in {lang}: questions in English {left[:3]}"
        shown[path] = sum(" ".join(tr.gettext(q).split()) in text for q in english)
    assert all(shown.values()), f"a page shows no translated question in {lang}: {shown}"


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_plan_agenda_writes_the_questions_in_the_language(lang: str) -> None:
    """`mmsis --lang fr|pt plan agenda`: the ranked questions are written translated."""
    from importlib.resources import files

    from typer.testing import CliRunner

    from mmsis import _cli
    from mmsis.cli import app

    plan = str(files("mmsis.demos") / "data" / "example_plan.yaml")
    width, _cli.console._width = _cli.console._width, 1000  # questions whole, not wrapped
    try:
        with i18n.language("en"):
            r = CliRunner().invoke(app, ["--lang", lang, "plan", "agenda", "-f", plan, "--top",
                                         "3"])
    finally:
        _cli.console._width = width
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    tr = i18n.translations(lang)
    english = _question_texts()
    assert not [q for q in english if q in out]
    assert sum(" ".join(tr.gettext(q).split()) in out for q in english) == 3, r.output
