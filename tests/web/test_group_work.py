"""Group work (issue #16): CHNRI scoring by several members, the decision log, actions with
overdue ones on the dashboard, and the TAG deck as a job."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from tests.web.conftest import World


@pytest.fixture(autouse=True)
def _jobs_run_in_the_request():  # type: ignore[no-untyped-def]
    from mmsis.web import jobs

    jobs.huey.immediate = True
    yield


def _questions(c, wid: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    a = c.post(f"/api/workspaces/{wid}/agenda", json={"text": "Can pharmacies stock MMS?"})
    b = c.post(f"/api/workspaces/{wid}/agenda", json={"text": "Does counselling help?"})
    assert a.status_code == b.status_code == 201
    return f"item-{a.json()['id']}", f"item-{b.json()['id']}"


def _put(c, wid: int, rows: list[tuple[str, str, float | None]]):  # type: ignore[no-untyped-def]
    return c.put(f"/api/workspaces/{wid}/chnri/scores", json={"scores": [
        {"question": q, "criterion": k, "score": s} for q, k, s in rows]})


def test_three_members_score_and_the_group_result_equals_a_hand_calculation(
    world_any: World,
) -> None:
    wid = world_any.workspace_id
    editor, owner, admin = (world_any.client(w) for w in ("editor", "owner", "admin"))
    q1, q2 = _questions(editor, wid)
    first_scores: list[tuple[str, str, float | None]] = [
        (q1, "answerability", 1), (q1, "effectiveness", 1),
        (q2, "answerability", 0), (q2, "effectiveness", 0)]
    assert _put(editor, wid, first_scores).status_code == 200
    assert _put(owner, wid, [(q1, "answerability", 1),
                             (q1, "effectiveness", 0.5)]).status_code == 200
    out = _put(admin, wid, [(q1, "answerability", 0), (q1, "effectiveness", None)]).json()
    # by hand: answerability (1+1+0)/3 = 66.67; effectiveness (1+0.5)/2 = 75 (blank left out);
    # RPS = (66.67+75)/2 = 70.83; AEA = (2/3 + 1/2)/2 = 0.5833; 3 members
    first, second = out["questions"]
    assert first["question"] == q1 and first["raters"] == 3
    assert first["answerability"] == pytest.approx(200 / 3, abs=1e-4)
    assert first["effectiveness"] == pytest.approx(75.0)
    assert first["equity"] is None
    assert first["rps"] == pytest.approx((200 / 3 + 75) / 2, abs=1e-4)
    assert first["aea"] == pytest.approx((2 / 3 + 1 / 2) / 2, abs=1e-4)
    assert second["question"] == q2 and second["rps"] == 0
    assert len(out["raters"]) == 3
    # re-scoring replaces the member's answers for that question
    _put(admin, wid, [(q1, "answerability", 1)])
    again = world_any.client("viewer").get(f"/api/workspaces/{wid}/chnri").json()
    assert again["questions"][0]["answerability"] == pytest.approx(100.0)
    assert again["questions"][0]["effectiveness"] == pytest.approx(75.0)
    page = world_any.client("viewer").get(f"/w/{wid}/priorities")
    assert page.status_code == 200 and "Can pharmacies stock MMS?" in page.text
    assert "Scoring needs the editor role" in page.text


def test_a_score_outside_the_method_is_refused_and_the_form_keeps_what_was_typed(
    world: World,
) -> None:
    wid = world.workspace_id
    c = world.client("editor")
    q1, _ = _questions(c, wid)
    r = _put(c, wid, [(q1, "answerability", 0.7)])
    assert r.status_code == 422 and "1, 0.5, 0 or blank" in r.json()["detail"]
    assert _put(c, wid, [("Q-nope", "answerability", 1)]).status_code == 422
    assert _put(c, wid, [(q1, "beauty", 1)]).json()["field"] == "criterion"
    token = c.headers["X-CSRF-Token"]
    form = {f"score|{q1}|answerability": "1", f"score|{q1}|equity": "2", "csrf_token": token}
    page = c.post(f"/w/{wid}/priorities", data=form)
    assert page.status_code == 422 and "not &#39;2&#39;" in page.text
    assert world.client("viewer").get(f"/api/workspaces/{wid}/chnri").json()["questions"] == []
    form[f"score|{q1}|equity"] = ""
    ok = c.post(f"/w/{wid}/priorities", data=form, follow_redirects=False)
    assert ok.status_code == 303
    result = c.get(f"/api/workspaces/{wid}/chnri").json()["questions"][0]
    assert result["answerability"] == 100 and result["equity"] is None
    assert re.search(r'<option value="1" selected>yes \(1\)</option>',
                     c.get(f"/w/{wid}/priorities").text)


def test_a_decision_is_logged_audited_and_on_the_timeline_and_report_programme(
    world_any: World,
) -> None:
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    wid = world_any.workspace_id
    c = world_any.client("editor")
    token = c.headers["X-CSRF-Token"]
    bad = c.post(f"/w/{wid}/decisions", data={"date": "2026-13-01", "what": "Add SMS reminders",
                                              "csrf_token": token})
    assert bad.status_code == 422 and "date" in bad.text
    assert "Add SMS reminders</textarea>" in bad.text
    r = c.post(f"/w/{wid}/decisions", follow_redirects=False, data={
        "date": "2026-03-02", "what": "Add SMS reminders to ANC counselling",
        "modified": "implementation_strategy", "nature": "adding", "goal": "adherence",
        "planned": "reactive", "decided_by": "TAG, MoH nutrition unit",
        "reasons": ["recipient", "implementer"], "evidence": "exit interviews: 40% forgot",
        "key_result": kr, "csrf_token": token})
    assert r.status_code == 303, r.text
    api = c.post(f"/api/workspaces/{wid}/decisions",
                 json={"date": "2026-01-15", "what": "Start in two districts", "planned": True})
    assert api.status_code == 201
    log = world_any.client("viewer").get(f"/api/workspaces/{wid}/decisions").json()
    assert [d["what"] for d in log] == ["Start in two districts",
                                        "Add SMS reminders to ANC counselling"]
    assert log[1]["planned"] is False and log[1]["decided_by"] == ["TAG", "MoH nutrition unit"]
    assert log[1]["recorded_by"] == "editor"  # a viewer reads the name, editors the e-mail
    assert c.get(f"/api/workspaces/{wid}/decisions").json()[1]["recorded_by"] == (
        "editor@example.org")
    page = c.get(f"/w/{wid}/decisions").text
    assert page.index("Start in two districts") < page.index("Add SMS reminders")
    audit = c.get(f"/api/workspaces/{wid}/audit").json()
    assert any(a["entity"] == "decision" for a in audit)
    assert c.post(f"/api/workspaces/{wid}/decisions",
                  json={"date": "2026-01-15", "what": "x", "key_result": "NOPE"}).status_code == 422
    from mmsis.web import dashboard
    from mmsis.web import db as dbm
    from mmsis.web.deps import _access

    with dbm.session_scope(world_any.app.state.sessions) as db:  # type: ignore[attr-defined]
        from mmsis.web.deps import Auth
        from mmsis.web.models import User
        from mmsis.web.security import LiveSession, UserView

        u = db.query(User).filter_by(email="editor@example.org").one()
        auth = Auth(UserView(u.id, u.email, u.name, u.is_admin),
                    LiveSession("t", u.id, "", dt.datetime.now(dt.UTC)))
        prog = dashboard.programme(db, _access(wid, auth, db, "viewer"))
        assert [a.what for a in prog.adaptations][-1] == "Add SMS reminders to ANC counselling"


def test_overdue_actions_show_on_the_dashboard_until_done(world: World) -> None:
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    wid = world.workspace_id
    c = world.client("editor")
    token = c.headers["X-CSRF-Token"]
    past = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    bad = c.post(f"/w/{wid}/actions", data={"key_result": kr, "action": "Train pharmacists",
                                            "start": later, "due": past, "csrf_token": token})
    assert bad.status_code == 422 and "due date is before the start" in bad.text
    assert 'value="Train pharmacists"' in bad.text
    r = c.post(f"/w/{wid}/actions", follow_redirects=False, data={
        "key_result": kr, "action": "Train pharmacists", "owner": "Dr Amani", "due": past,
        "status": "in_progress", "csrf_token": token})
    assert r.status_code == 303
    ok = c.post(f"/api/workspaces/{wid}/actions",
                json={"key_result": kr, "action": "Print job aids", "due": later})
    assert ok.status_code == 201
    acts = world.client("viewer").get(f"/api/workspaces/{wid}/actions").json()
    assert [(a["action"], a["overdue"]) for a in acts] == [("Train pharmacists", True),
                                                           ("Print job aids", False)]
    dash = world.client("viewer").get(f"/w/{wid}").text
    assert "Overdue actions (1)" in dash and "Train pharmacists" in dash
    aid = acts[0]["id"]
    assert c.patch(f"/api/workspaces/{wid}/actions/{aid}",
                   json={"status": "finished"}).status_code == 422
    done = c.post(f"/w/{wid}/actions/{aid}/status", data={"status": "done", "csrf_token": token},
                  follow_redirects=False)
    assert done.status_code == 303
    assert "Overdue actions" not in world.client("viewer").get(f"/w/{wid}").text
    assert c.patch(f"/api/workspaces/{wid}/actions/99999",
                   json={"status": "done"}).status_code == 404


def test_the_deck_button_builds_a_pptx_with_a_titled_slide_per_section(world: World) -> None:
    from pptx import Presentation

    wid = world.workspace_id
    c = world.client("editor")
    page = c.get(f"/w/{wid}/report").text
    assert "Download deck (PPTX)" in page
    r = c.post(f"/w/{wid}/report/deck", follow_redirects=False)
    assert r.status_code == 303
    job_id = int(r.headers["location"].split("job=")[1])
    job = c.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "done", job
    assert "Download the deck (.pptx)" in c.get(f"/jobs/{job_id}/fragment").text
    got = c.get(f"/api/jobs/{job_id}/download")
    assert got.status_code == 200 and got.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.presentationml")
    deck = Presentation(io.BytesIO(got.content))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert len(titles) >= 5 and all(titles)
    assert world.client("viewer").post(f"/api/workspaces/{wid}/deck-jobs").status_code == 403


def test_the_deck_is_built_in_the_language_of_the_page_that_asked(world: World) -> None:
    from pptx import Presentation

    c = world.client("editor")
    r = c.post(f"/api/workspaces/{world.workspace_id}/deck-jobs",
               headers={"Accept-Language": "fr"})
    assert r.status_code == 202
    job_id = r.json()["job"]
    assert c.get(f"/api/jobs/{job_id}").json()["status"] == "done"
    deck = Presentation(io.BytesIO(c.get(f"/api/jobs/{job_id}/download").content))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert "Tableau de bord de préparation" in titles
    assert any(t.startswith("Rapport de mise en œuvre des MMS") for t in titles)


def test_oversized_fields_are_refused_with_the_field_named(world: World) -> None:
    from mmsis.framework import load_framework

    kr = load_framework().key_results[0].id
    c = world.client("editor")
    wid = world.workspace_id
    r = c.post(f"/api/workspaces/{wid}/actions",
               json={"key_result": kr, "action": "a", "owner": "o" * 201})
    assert r.status_code == 422 and "owner" in r.text
    r = c.post(f"/api/workspaces/{wid}/decisions",
               json={"date": "2026-01-01", "what": "w", "decided_by": ["x"] * 51})
    assert r.status_code == 422 and "decided_by" in r.text
    token = c.headers["X-CSRF-Token"]
    page = c.post(f"/w/{wid}/actions", data={"key_result": kr, "action": "a", "owner": "o" * 201,
                                             "csrf_token": token})
    assert page.status_code == 422 and "owner" in page.text
    assert c.get(f"/api/workspaces/{wid}/actions").json() == []
