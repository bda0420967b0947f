"""Issue #16 on the web: each strategy on the agenda specified in seven dimensions (actor,
action, target, temporality, dose, implementation outcome, justification), editors only."""

from __future__ import annotations

from tests.web.conftest import World

SPEC = {"actor": "District pharmacists", "action": "Monthly stock reviews with facilities",
        "target": "Facility store keepers", "temporality": "From the first delivery",
        "dose": "Once a month for a year", "outcome": "Fidelity of stock reporting",
        "justification": "Audit and feedback improves practice (Ivers 2012)"}


def _strategy(c, wid: int, text: str = "Stock reviews by pharmacists") -> int:  # type: ignore[no-untyped-def]
    r = c.post(f"/api/workspaces/{wid}/agenda", json={"kind": "strategy", "text": text})
    assert r.status_code == 201
    return int(r.json()["id"])


def _post(c, wid: int, item: int, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    return c.post(f"/w/{wid}/agenda/{item}/spec",
                  data={**fields, "csrf_token": c.headers["X-CSRF-Token"]})


def test_an_editor_specifies_a_strategy_it_is_shown_and_audited(world_any: World) -> None:
    wid = world_any.workspace_id
    editor = world_any.client("editor")
    item = _strategy(editor, wid)
    page = editor.get(f"/w/{wid}/agenda").text
    assert "Not specified yet" in page and "Specify this strategy" in page
    r = _post(editor, wid, item, SPEC)
    assert r.status_code == 200 and "Fidelity of stock reporting" in r.text
    seen = world_any.client("viewer").get(f"/w/{wid}/agenda")
    assert seen.status_code == 200
    assert all(v in seen.text for v in SPEC.values())
    assert "Specify this strategy" not in seen.text  # viewers read, they have no form
    # saving again replaces the specification; the audit keeps before and after
    _post(editor, wid, item, {**SPEC, "dose": "Twice a month"})
    page = editor.get(f"/w/{wid}/agenda").text
    assert "Twice a month" in page and "Once a month for a year" not in page
    log = [a for a in editor.get(f"/api/workspaces/{wid}/audit").json()
           if a["action"] == "specify"]
    assert len(log) == 2 and log[0]["detail"]["before"]["dose"] == "Once a month for a year"
    assert log[0]["detail"]["after"]["dose"] == "Twice a month"


def test_a_viewer_is_refused_and_a_district_editor_may_specify_like_the_agenda(
    world_any: World,
) -> None:
    wid = world_any.workspace_id
    item = _strategy(world_any.client("editor"), wid)
    viewer = world_any.client("viewer")
    assert _post(viewer, wid, item, SPEC).status_code == 403
    # the agenda is workspace-wide: a district editor may add to it, so may specify it too
    district = world_any.client("district")
    assert district.post(f"/api/workspaces/{wid}/agenda",
                         json={"kind": "strategy", "text": "SMS reminders"}).status_code == 201
    r = _post(district, wid, item, {**SPEC, "actor": "District health team"})
    assert r.status_code == 200 and "District health team" in r.text
    assert world_any.client("outsider").post(
        f"/w/{wid}/agenda/{item}/spec", data=SPEC).status_code in (403, 404)


def test_an_over_long_field_or_a_question_is_refused_and_nothing_is_stored(
    world_any: World,
) -> None:
    wid = world_any.workspace_id
    editor = world_any.client("editor")
    item = _strategy(editor, wid)
    r = _post(editor, wid, item, {**SPEC, "justification": "j" * 501})
    assert r.status_code == 422 and "justification" in r.text and "at most 500" in r.text
    assert "Not specified yet" in editor.get(f"/w/{wid}/agenda").text
    q = editor.post(f"/api/workspaces/{wid}/agenda", json={"text": "Does counselling help?"})
    r = _post(editor, wid, int(q.json()["id"]), SPEC)
    assert r.status_code == 422 and "only a strategy" in r.text
    assert _post(editor, wid, 999999, SPEC).status_code == 404
    # deleting the strategy deletes its specification with it
    _post(editor, wid, item, SPEC)
    c = editor.post(f"/w/{wid}/agenda/{item}/delete",
                    data={"csrf_token": editor.headers["X-CSRF-Token"]})
    assert c.status_code == 200 and "Fidelity of stock reporting" not in c.text
