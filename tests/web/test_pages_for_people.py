"""Every page of the example workspace reads right to a ministry officer: no number in
scientific notation, no raw float with more than 3 decimals, no period written as 202412 or
2024Q4, and no internal id (org-unit ids, DHIS2 UIDs, data-element codes, knowledge-base
snake_case ids) in the text a person sees (issue #15)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from tests.people_checks import problems

from mmsis.datasets import ExampleCountry

#: Elements whose text is not read as part of the page: code, scripts, and the advanced
#: YAML editor of the scenario (its own syntax, on purpose).
HIDDEN = {"script", "style", "textarea", "pre", "head"}


class _Visible(HTMLParser):
    """The text a sighted reader sees (SVG text included), one string per text node."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    """Visible text nodes of a page."""
    p = _Visible()
    p.feed(html)
    return p.parts


def test_the_checks_catch_what_they_look_for() -> None:
    bad = ["2.834e+06 USD", "rr 0.78571", "MMS_CLIENTS", "Dec 202412", "2024Q4", "2024-12",
           "HllvX50cXC0", "scale_up", "DIS01 district"]
    assert len(problems(bad, {"MMS_CLIENTS", "DIS01"})) == len(bad)
    good = ["ANC clients given MMS (MMS_CLIENTS)", "2,834,000 USD", "79% (77-81%)", "Dec 2024",
            "Oct-Dec 2024", "ANC1+ (any visit)", "examplia_survey.csv", "demo@examplia.org",
            "6 Dec 2026 18:34", "p < 0.001"]
    assert problems(good, {"ANC1", "DIS01"}) == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, example_country: ExampleCountry
         ) -> Iterator[dict[str, Any]]:
    """The example workspace (seeded as `mmsis demo` does), logged in as its administrator."""
    from fastapi.testclient import TestClient
    from tests.web.conftest import login

    from mmsis.demos.web import seed_demo
    from mmsis.web import create_app

    base: Path = tmp_path_factory.mktemp("people")
    url = f"sqlite:///{base / 'demo.sqlite3'}"
    info = seed_demo(url, base / "data", country=example_country)
    client = TestClient(create_app(url, secret_key="people-test"))
    login(client, info["email"], info["password"])
    ou = example_country.org_units
    district = str(ou[ou["level"] == 3]["id"].iloc[0])
    control = str(ou[ou["level"] == 3]["id"].iloc[-1])
    ids = {str(i) for i in ou["id"]} | {str(i) for i in example_country.data_elements["id"]}
    ids |= {str(v) for v in example_country.data_values["attributeOptionCombo"].unique()}
    ids -= {"ANC1", "ANC4"}  # clinical abbreviations people use; checked as ANC1 alone below
    from mmsis.demos.web import WORKSPACE_NAME
    from mmsis.web.accounts import create_user, grant_role

    create_user(url, "district@examplia.org", "a district officer's long pass")
    grant_role(url, "district@examplia.org", WORKSPACE_NAME, "editor", district)
    officer = TestClient(client.app)
    login(officer, "district@examplia.org", "a district officer's long pass")
    yield {"client": client, "wid": info["workspace_id"], "ids": ids,
           "district": district, "control": control, "officer": officer}
    client.close()
    officer.close()


def _pages(d: dict[str, Any]) -> list[str]:
    w = f"/w/{d['wid']}"
    return ["/", w, f"{w}?district={d['district']}", f"{w}/key-results", f"{w}/agenda",
            f"{w}/design", f"{w}/design?kind=survey&submitted=1",
            f"{w}/design?kind=individual&submitted=1", f"{w}/uploads", f"{w}/evaluation",
            f"{w}/evaluation?data_element=MMS_CLIENTS&start=202307",
            f"{w}/evaluation?data_element=ANC1&start=202307&district={d['district']}"
            f"&control={d['control']}",
            f"{w}/scenario", f"{w}/report", f"{w}/setup", f"{w}/audit", f"{w}/members",
            f"{w}/priorities", f"{w}/decisions", f"{w}/actions",
            "/account", "/users"]


def test_every_page_reads_right(demo: dict[str, Any]) -> None:
    c = demo["client"]
    failures: dict[str, list[str]] = {}
    for url in _pages(demo):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[:400])
        parts = visible_text(r.text)
        found = problems(parts, demo["ids"])
        found += [f"data-element code 'ANC1' in {t[:90]!r}" for t in parts
                  if re.fullmatch(r"ANC[14]", t)]
        if found:
            failures[url] = found[:8]
    assert not failures, "\n".join(f"{u}:\n  " + "\n  ".join(f) for u, f in failures.items())


def test_a_district_officer_reads_names_not_paths(demo: dict[str, Any]) -> None:
    w = f"/w/{demo['wid']}"
    for url in (w, f"{w}/scenario", f"{w}/evaluation", f"{w}/key-results", f"{w}/uploads"):
        r = demo["officer"].get(url)
        assert r.status_code == 200, (url, r.text[:300])
        parts = visible_text(r.text)
        assert problems(parts, demo["ids"]) == [], url
        assert not [p for p in parts if "/" + demo["district"] in p], url  # no org-unit path
    assert "limited to Amani District" in demo["officer"].get(w).text


def test_an_empty_start_month_is_answered(demo: dict[str, Any]) -> None:
    r = demo["client"].get(f"/w/{demo['wid']}/evaluation?data_element=ANC1&start=")
    assert r.status_code == 422 and "Choose the month MMS started" in r.text


def test_results_say_what_they_mean(demo: dict[str, Any]) -> None:
    c, w = demo["client"], f"/w/{demo['wid']}"
    its = " ".join(visible_text(c.get(f"{w}/evaluation?data_element=MMS_CLIENTS&start=202307")
                                .text))
    assert re.search(r"(rose|fell) by \d+% \(95% CI", its), its[-800:]
    assert "Jul 2023" in its  # the start month, written for people
    scen = " ".join(visible_text(c.get(f"{w}/scenario").text))
    assert "Giving MMS instead of IFA averts about" in scen
    assert re.search(r"Over \d+ months MMS covers [\d,]+ pregnancies", scen)
    dash = " ".join(visible_text(c.get(w).text))
    assert "Data quality is" in dash
