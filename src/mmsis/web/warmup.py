"""Dashboards computed ahead: at server start and after each import, every workspace's panels.

For each scope its members have (the whole country, and each org unit a membership is limited
to), each district filter the scope offers and the latest survey wave, the warm-up computes the
dashboard's trend and panels under the very cache keys a request uses
(`mmsis.web.dashboard.trend_part`, `panel_parts`), so the first users after a start or an
import read them instead of computing them. A request that arrives while a part is being
computed waits on that computation (`ResultCache.get_or_compute`: one computes, the others
wait), never starts a second one. `GET /healthz` says ``warm`` or ``warming``: a deployment's
health check (and the load benchmark) waits for ``warm`` before sending users.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from mmsis import i18n
from mmsis.web.models import Membership, OrgUnit, Workspace

log = logging.getLogger("mmsis.web")

_WARMERS: weakref.WeakSet[Warmer] = weakref.WeakSet()
SETTLE_SECONDS = 0.5
"""How long a pass waits after being asked, so that a burst of imports gives one pass."""


def after_import() -> None:
    """Ask every running warm-up of this process to compute the dashboards again (called when
    an import or a sync has written a store)."""
    for warmer in list(_WARMERS):
        warmer.request()


class Warmer:
    """One background thread that warms the dashboards whenever asked (coalesced: requests
    made during a pass give one more pass)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._passes = 0
        self._busy = True  # until the first pass has run
        self._seen: dict[int, tuple[Any, ...]] = {}
        self.parts = 0
        self.last_error: str | None = None
        self.thread: threading.Thread | None = None
        _WARMERS.add(self)

    def request(self) -> None:
        """Warm again soon (the state reads ``warming`` until that pass ends)."""
        with self._lock:
            self._busy = True
            self._wanted.set()

    def status(self) -> dict[str, Any]:
        """``warm`` or ``warming``, passes done, parts gone through in the last pass, and whether
        it failed (the reason is logged, not shown to anyone who asks)."""
        with self._lock:
            state = "warming" if self._busy else "warm"
        return {"status": state, "passes": self._passes, "parts": self.parts,
                "failed": self.last_error is not None}  # (the error is in the log)

    def start(self) -> threading.Thread:
        """Run the first pass now and a new one after each `request`, in a daemon thread."""
        self._wanted.set()
        self.thread = threading.Thread(target=self._loop, name="mmsis-warm-dashboards",
                                       daemon=True)
        self.thread.start()
        return self.thread

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            # imports come in bursts (many editors, a sync's chunks): one pass after the burst
            # settles, not a version check per import competing with the requests for the CPU
            time.sleep(SETTLE_SECONDS)
            self._wanted.clear()
            self.run_once()
            with self._lock:
                self._passes += 1
                if not self._wanted.is_set():
                    self._busy = False

    def run_once(self) -> int:
        """One pass over every workspace with a store; returns the parts it went through. A
        failure is logged and said by `status`, never raised (requests still compute)."""
        from mmsis.web import programme

        done = 0
        try:
            with self.app.state.sessions() as db:
                spaces = list(db.scalars(select(Workspace)))
                for ws in spaces:
                    if programme.has_store(ws):
                        done += self._workspace(db, ws)
                    db.rollback()  # each workspace reads a fresh snapshot
            self.last_error = None
        except Exception as exc:
            log.exception("warming the dashboards failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
        self.parts = done
        return done

    def _workspace(self, db: Any, ws: Workspace) -> int:
        """Warm one workspace for every scope its members have; skipped when nothing it reads
        has changed since the last pass (an upload of other data elements)."""
        from mmsis.web import analytics, services

        versions = (services.series_version(db, ws.id, services.trend_elements(ws)),
                    services.key_results_version(db, ws.id),
                    services.analyses_version(db, ws.id), analytics.analysis_data_version(ws),
                    analytics.measured_served(ws).version,  # (again when they are computed)
                    ws.phase, ws.org_units_version, tuple(self._scopes(db, ws)))
        if self._seen.get(ws.id) == versions:
            return 0
        done = 0
        languages = dict.fromkeys([i18n.DEFAULT_LANGUAGE,
                                   i18n.normalise(getattr(ws, "language", None))])
        for lang in filter(None, languages):
            with i18n.language(lang):
                for scope_unit, scope_path in versions[-1]:
                    done += self._scope(db, ws, scope_unit, scope_path)
        self._seen[ws.id] = versions
        return done

    @staticmethod
    def _scopes(db: Any, ws: Workspace) -> list[tuple[str | None, str | None]]:
        """The whole country, and each org unit a membership is limited to (with its path)."""
        rows = db.execute(
            select(Membership.org_unit_id, OrgUnit.path).distinct()
            .join(OrgUnit, (OrgUnit.workspace_id == Membership.workspace_id)
                  & (OrgUnit.id == Membership.org_unit_id))
            .where(Membership.workspace_id == ws.id, Membership.org_unit_id.is_not(None))
        ).all()
        return [(None, None), *sorted((str(u), str(p)) for u, p in rows)]

    def _scope(self, db: Any, ws: Workspace, unit: str | None, path: str | None) -> int:
        """Every district filter of one scope: the trend, and the panels of the latest wave."""
        from mmsis.web import dashboard, services
        from mmsis.web.deps import Access
        from mmsis.web.security import LiveSession, UserView

        who = UserView(id=0, email="", name="dashboard warm-up", is_admin=unit is None)
        session = LiveSession(id="", user_id=0, csrf_token="", expires_at=datetime.now(UTC))
        access = Access(who, session, ws, "viewer", path, unit)
        templates, cache = self.app.state.templates, self.app.state.cache
        districts = services.districts(db, access)
        done = 0
        elements = services.trend_elements(ws)
        for district in [None, *(d.id for d in districts)]:
            dashboard.trend_part(templates, cache, db, access, district, districts)
            dashboard.panel_parts(templates, cache, db, access, district, None)
            done += 2
            # the indicators API's most asked questions: each trend element alone, per district
            for element in elements:
                services.indicator_rows(cache, db, access, [element], district)
                done += 1
        return done


def start(app: Any) -> Warmer:
    """Start warming the app's dashboards (`mmsis serve`); `app.state.warmer` answers /healthz."""
    warmer = Warmer(app)
    app.state.warmer = warmer
    warmer.start()
    return warmer
