"""Reads never wait on writes: the dashboard and the indicators API answer while an import
holds its store transaction open (issue #13), and they see the last committed data only."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from tests.web.conftest import World

from mmsis.data.store import Store

READ_TIMEOUT = 60.0
"""Seconds a read may take before the test calls it blocked: generous for a loaded machine,
and the import it runs beside is held open far longer (until the reads have answered)."""


def _upload(c, wid: int, rows: list[str]):  # type: ignore[no-untyped-def]
    body = "\n".join(["dataElement,period,orgUnit,value", *rows]).encode()
    return c.post(
        f"/api/workspaces/{wid}/uploads",
        data={"kind": "dhis2"},
        files={"file": ("values.csv", body, "text/csv")},
    )


def test_dashboard_and_indicators_answer_while_an_import_holds_its_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    wid = world.workspace_id
    editor, viewer = world.client("editor"), world.client("viewer")
    assert _upload(editor, wid, ["ANC1,202401,F1,10"]).status_code == 201
    assert viewer.get(f"/w/{wid}").status_code == 200

    # the next import stops inside its store transaction (values written, not committed)
    inside, release = threading.Event(), threading.Event()
    record_batch = Store._record_batch

    def held(self: Store, rows: int | None = None) -> None:
        record_batch(self, rows)
        inside.set()
        release.wait(180)

    monkeypatch.setattr(Store, "_record_batch", held)
    uploaded: dict[str, Any] = {}
    writer = threading.Thread(
        target=lambda: uploaded.update(r=_upload(editor, wid, ["ANC1,202401,F2,90"]))
    )
    writer.start()
    answers: dict[str, Any] = {}
    try:
        assert inside.wait(60), "the import never reached its transaction"

        def read() -> None:
            answers["dashboard"] = viewer.get(f"/w/{wid}")
            answers["indicators"] = viewer.get(
                f"/api/workspaces/{wid}/indicators", params={"data_element": "ANC1"}
            )

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(READ_TIMEOUT)
        blocked = reader.is_alive()
        still_held = not release.is_set() and "r" not in uploaded
    finally:
        release.set()
        writer.join(120)
    assert not blocked, "a read waited for the import's open transaction"
    assert still_held  # the reads answered while the import was inside its transaction
    assert answers["dashboard"].status_code == 200
    # the reads saw the last committed snapshot: F1's 10, not F2's uncommitted 90
    rows = answers["indicators"].json()
    assert [(r["period"], r["value"]) for r in rows] == [("202401", 10.0)]
    assert uploaded["r"].status_code == 201
    after = viewer.get(f"/api/workspaces/{wid}/indicators", params={"data_element": "ANC1"})
    assert [(r["period"], r["value"]) for r in after.json()] == [("202401", 100.0)]
