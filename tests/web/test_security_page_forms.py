"""Issue #12, no 500 from user input, for the page forms that landed with group work, the
concept mapping, the scenario form and the language menu: hypothesis sends arbitrary values
(and odd ones: other scripts' digits, 5,000 digits, infinities, control characters) in each
form's own fields and asserts the answer is never a server error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.web.conftest import World, login, make_world
from tests.web.test_workspace_report import SCENARIO


@pytest.fixture(scope="module")
def form_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, TestClient]]:
    """One workspace with a saved scenario, an agenda question and an action; an editor."""
    from mmsis.framework import load_framework
    from mmsis.web import jobs

    jobs.huey.immediate = True
    world = make_world(f"sqlite:///{Path(tmp_path_factory.mktemp('forms')) / 'w.sqlite3'}")
    c = login(TestClient(world.app, raise_server_exceptions=False),  # type: ignore[arg-type]
              world.emails["owner"])
    wid = world.workspace_id
    assert c.put(f"/api/workspaces/{wid}/scenario",
                 json={"scenario": yaml.safe_dump(SCENARIO)}).status_code == 200
    assert c.post(f"/api/workspaces/{wid}/agenda", json={"text": "Q?"}).status_code == 201
    kr = load_framework().key_results[0].id
    assert c.post(f"/api/workspaces/{wid}/actions",
                  json={"key_result": kr, "action": "a"}).status_code == 201
    yield world, c


def _scenario_fields() -> list[str]:
    from mmsis.web.scenario_form import FIELDS

    return list(FIELDS)


FORMS: dict[str, list[str]] = {
    "setup/concepts": ["level_district", "level_region", "element_anc1", "reporting_data_set"],
    "priorities": ["score|item-1|equity", "score|item-1|answerability", "score|x|y"],
    "decisions": ["date", "what", "modified", "nature", "goal", "planned", "decided_by",
                  "reasons", "evidence", "key_result"],
    "actions": ["key_result", "action", "owner", "start", "due", "status"],
    "actions/1/status": ["status"],
    "language": ["language"],
    "scenario/form": _scenario_fields(),
}

_value = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["²", "٣", "9" * 5000, "1e308", "-1e308", "inf", "nan", "-1", "0", "1.5",
                     "2026-02-30", "99999-01-01", "2026-01", "\x00", "\x0b", "=1+1", "<b>x</b>",
                     "on", "planned", "reactive", "done", "fr", "1,000", "1e12"]),
)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_page_forms_never_5xx(form_world: tuple[World, TestClient], data: Any) -> None:
    world, c = form_world
    form = data.draw(st.sampled_from(sorted(FORMS)))
    fields = data.draw(st.lists(st.sampled_from(FORMS[form]), max_size=6, unique=True))
    body = {f: data.draw(_value) for f in fields}
    url = "/language" if form == "language" else f"/w/{world.workspace_id}/{form}"
    r = c.post(url, data=body, follow_redirects=False)
    assert r.status_code < 500, (form, body, r.status_code)
    # the pages that show what was saved still answer
    if form in ("decisions", "actions", "priorities", "scenario/form"):
        page = form.split("/")[0]
        assert c.get(f"/w/{world.workspace_id}/{page}").status_code == 200, (form, body)
