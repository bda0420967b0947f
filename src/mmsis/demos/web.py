"""The demo workspace: the example country loaded into a database, a demo login, a server."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mmsis.i18n import gettext as _

if TYPE_CHECKING:
    from mmsis.datasets import ExampleCountry
    from mmsis.web.models import Upload

DEMO_EMAIL = "demo@examplia.org"
DEMO_PASSWORD = "examplia-demo-2024"
"""Demo credentials: printed by `mmsis demo`; the server listens on loopback only."""
WORKSPACE_NAME = "Examplia national MMS programme"


def seed_demo(
    database_url: str,
    data_dir: Path,
    country: ExampleCountry | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """Create the example-country workspace, a demo owner and load routine + survey data.

    Idempotent: an existing demo workspace is left as it is. `data_dir` holds the DuckDB
    analytics store. Returns the URL-free facts a caller prints (login, counts, seconds).
    """
    from mmsis.data.store import Store, load_example
    from mmsis.web import analytics, programme, security, services
    from mmsis.web import db as dbm
    from mmsis.web.deps import Access
    from mmsis.web.models import (
        KeyResultStatusRow,
        User,
        Workspace,
        utcnow,
    )
    from mmsis.web.security import LiveSession, UserView

    t0 = time.perf_counter()
    password = password or os.environ.get("MMSIS_DEMO_PASSWORD") or DEMO_PASSWORD
    engine = dbm.make_engine(database_url)
    dbm.upgrade(engine)
    factory = dbm.session_factory(engine)
    try:
        with dbm.session_scope(factory) as db:
            existing = db.scalar(select(Workspace).where(Workspace.name == WORKSPACE_NAME))
            if existing is not None:
                return {
                    "email": DEMO_EMAIL,
                    "password": password,
                    "workspace_id": existing.id,
                    "created": False,
                    "seconds": round(time.perf_counter() - t0, 2),
                }
        if country is None:
            from mmsis.datasets import example_country

            country = example_country()
        from mmsis.demos.examples import example_programme

        prog = example_programme(country)
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        with dbm.session_scope(factory) as db:
            user = db.scalar(select(User).where(User.email == DEMO_EMAIL))
            if user is None:
                user = User(
                    email=DEMO_EMAIL,
                    name="Demo TAG member",
                    password_hash=security.hash_password(password),
                    is_admin=True,
                )
                db.add(user)
                db.flush()
            ws = services.create_workspace(db, WORKSPACE_NAME, str(country.country["name"]))
            ws.programme_json = prog.model_dump_json()
            store_path = data_dir / f"workspace-{ws.id}.duckdb"
            ws.store_path = str(store_path)
            services.load_org_units(db, ws, country.org_units)
            services.set_member(db, None, ws, user, "owner")
            # an access record for audit entries; never stored
            session = LiveSession(id="seed", user_id=user.id, csrf_token="", expires_at=utcnow())
            who = UserView(user.id, user.email, user.name, user.is_admin)
            access = Access(who, session, ws, "owner", None)
            for s in prog.key_results:
                note = "; ".join(e.note for e in s.evidence if e.note)
                db.add(
                    KeyResultStatusRow(
                        workspace_id=ws.id,
                        key_result_id=s.key_result,
                        status=s.status,
                        note=note,
                        updated_by=user.id,
                    )
                )
            paths = services.org_unit_paths(db, ws.id)
            dv = country.data_values
            up = _imported_upload(db, ws.id, user.id, "dhis2",
                                  "example_country_data_values.csv", len(dv))
            survey = country.survey
            sup = _imported_upload(db, ws.id, user.id, "survey", "examplia_survey.csv",
                                   len(survey))
            if store_path.exists():
                store_path.unlink()
            # the values and the survey wave live in the programme store only, each tagged
            # with its upload (the batch), as an upload through the pages would be
            # (a Store of its own, closed at the end: a server in another process opens it next)
            with Store(store_path) as store:
                with store.batch(programme.batch_id(up.id), "dhis2", up.filename):
                    n_values = load_example(store, country)["data_values"].imported
                with store.batch(programme.batch_id(sup.id), "survey", sup.filename):
                    store.import_survey_wave(survey, programme.batch_id(sup.id), sup.filename)
            records = survey
            db.flush()
            from mmsis.demos.examples import example_scenario

            analytics.save_result(db, ws.id, "scenario", example_scenario(country))
            analytics.save_result(
                db, ws.id, "source", {"example_country_seed": int(country.seed)}
            )
            done = analytics.refresh(db, ws)
            programme.close(str(store_path))  # a server (maybe another process) opens it next
            services.audit(db, access, "seed", "workspace", ws.id, source="example country", **done)
            wid = ws.id
        return {
            "email": DEMO_EMAIL,
            "password": password,
            "workspace_id": wid,
            "created": True,
            "routine_values": n_values,
            "survey_rows": len(records),
            "org_units": len(paths),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    finally:
        engine.dispose()


def serve_demo(
    out_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    database_url: str | None = None,
    country: ExampleCountry | None = None,
) -> None:
    """Seed the demo workspace under out_dir (SQLite by default), print the login and serve."""
    import uvicorn
    from rich.console import Console

    from mmsis.web.app import create_app

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{(out_dir / 'workspace.sqlite3').resolve()}"
    info = seed_demo(url, out_dir / "workspace-data", country=country)
    console = Console()
    console.print(_(
        "[bold]mmsis workspace[/bold] on %(url)s  — log in as [bold]%(email)s[/bold] with "
        "password [bold]%(password)s[/bold]") % {
        "url": f"http://{host}:{port}/", "email": info["email"], "password": info["password"]})
    uvicorn.run(create_app(url), host=host, port=port, log_level="warning")


def run_demo(out_dir: Path, country: ExampleCountry) -> dict[str, Any]:
    """Seed the workspace database under out_dir and print how to open it (does not serve)."""
    from rich.console import Console

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(out_dir / 'workspace.sqlite3').resolve()}"
    info = seed_demo(url, out_dir / "workspace-data", country=country)
    Console().print(_(
        "[bold]Web workspace[/bold]: %(url)s seeded in %(seconds)s s; log in as %(email)s / "
        "%(password)s after `mmsis serve --database %(url)s`") % {
        "url": url, "seconds": info["seconds"], "email": info["email"],
        "password": info["password"]})
    return {"database_url": url, **info}


def _imported_upload(db: Any, workspace_id: int, user_id: int, kind: str, filename: str,
                     rows: int) -> Upload:
    """Record a seeded file as a fully imported upload, flushed so its id can key the rows."""
    from mmsis.web.models import Upload

    up = Upload(workspace_id=workspace_id, kind=kind, filename=filename, status="imported",
                rows_total=rows, rows_imported=rows, refused_json="[]", uploaded_by=user_id)
    db.add(up)
    db.flush()
    return up
