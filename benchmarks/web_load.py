"""Load test of the web workspace: concurrent simulated users on a loopback server.

Starts `mmsis serve` over a database seeded with the example country, logs in N users
(httpx async), and for D seconds each user loops over the dashboard (random district),
the indicator API and small DHIS2 uploads. Prints requests per second, p50/p95/p99 latency
per kind, errors, and writes made vs rows stored (lost writes). Target (issue #9): dashboard
p95 < 300 ms with SQLite, zero errors, zero lost writes.

    python benchmarks/web_load.py                 # 50 users, 60 s, SQLite
    python benchmarks/web_load.py --users 10 --duration 10
    python benchmarks/web_load.py --database postgresql://user@127.0.0.1:5432/db
    python benchmarks/web_load.py --cold         # measure from the start, warm-up or not
    python benchmarks/web_load.py --facilities 49603 --months 48   # a 100 M-value country

Measurement starts once `GET /healthz` says ``warm`` (as a deployment's health check would
let users in): the server computes every dashboard ahead at start (mmsis.web.warmup).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

TARGET_DASHBOARD_P95_MS = 300.0
ROWS_PER_UPLOAD = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _login(client: httpx.AsyncClient, email: str, password: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no login form"
    t0 = time.perf_counter()
    r = await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/"},
    )
    if r.status_code >= 400:
        raise RuntimeError(
            f"login failed: HTTP {r.status_code} after {time.perf_counter() - t0:.1f} s"
        )
    me = await client.get("/api/me")
    if me.status_code != 200 or "csrf_token" not in me.json():
        raise RuntimeError(f"login did not start a session: /api/me HTTP {me.status_code} "
                           f"{me.text[:200]} after {time.perf_counter() - t0:.1f} s")
    client.headers["X-CSRF-Token"] = me.json()["csrf_token"]


class Stats:
    """Latencies per request kind, errors and the upload rows acknowledged by the server."""

    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = {"dashboard": [], "indicators": [], "upload": []}
        self.errors: dict[str, int] = {}
        self.rows_written = 0
        self.started: dict[str, list[float]] = {"dashboard": [], "indicators": [], "upload": []}


async def _logged_in(
    root: str, login: tuple[str, str], stats: Stats, attempts: int = 5
) -> httpx.AsyncClient:
    """A client with its own login session (logins happen before the measured window)."""
    # Close idle connections before uvicorn does (its keep-alive timeout is 5 s): otherwise a
    # request sent as the server closes the connection fails with RemoteProtocolError.
    limits = httpx.Limits(keepalive_expiry=4.0)
    client = httpx.AsyncClient(base_url=root, timeout=60, follow_redirects=True, limits=limits)
    for _ in range(attempts):
        try:
            await _login(client, *login)
            return client
        except (RuntimeError, httpx.HTTPError) as exc:
            key = f"login: {exc}".split(" after ")[0]
            stats.errors[key] = stats.errors.get(key, 0) + 1
    await client.aclose()
    raise RuntimeError("could not log in")


async def _user(
    uid: int,
    client: httpx.AsyncClient,
    wid: int,
    districts: list[str],
    facilities: list[str],
    deadline: float,
    stats: Stats,
    think: float = 0.0,
    first_year: int = 2030,
) -> None:
    rng = random.Random(uid)
    month = 0
    try:
        while time.monotonic() < deadline:
            if think > 0:  # a person reading the page before the next click
                await asyncio.sleep(rng.expovariate(1 / think))
                if time.monotonic() >= deadline:
                    break
            roll = rng.random()
            t0 = time.perf_counter()
            r = None
            try:
                if roll < 0.5:
                    kind = "dashboard"
                    district = rng.choice([""] + districts)
                    r = await client.get(f"/w/{wid}", params={"district": district})
                    ok = r.status_code == 200
                elif roll < 0.85:
                    kind = "indicators"
                    r = await client.get(
                        f"/api/workspaces/{wid}/indicators",
                        params={
                            "data_element": rng.choice(["ANC1", "MMS_CLIENTS"]),
                            "org_unit": rng.choice(districts),
                        },
                    )
                    ok = r.status_code == 200
                else:
                    kind = "upload"
                    month += 1
                    year, mon = first_year + (month - 1) // 12, (month - 1) % 12 + 1
                    lines = ["dataElement,period,orgUnit,value"] + [
                        f"BENCH_U{uid},{year}{mon:02d},{fac},{rng.randint(0, 50)}"
                        for fac in rng.sample(facilities, ROWS_PER_UPLOAD)
                    ]
                    r = await client.post(
                        f"/api/workspaces/{wid}/uploads",
                        data={"kind": "dhis2"},
                        files={"file": ("bench.csv", "\n".join(lines).encode(), "text/csv")},
                    )
                    ok = r.status_code == 201
                    if ok:
                        stats.rows_written += int(r.json()["rows_imported"])
            except httpx.HTTPError as exc:
                kind, ok = kind if "kind" in locals() else "other", False
                stats.errors[type(exc).__name__] = stats.errors.get(type(exc).__name__, 0) + 1
            stats.lat[kind].append((time.perf_counter() - t0) * 1000)
            stats.started[kind].append(t0)
            if not ok and r is not None:  # (a transport error was counted above)
                key = f"{kind} HTTP {r.status_code}"
                stats.errors[key] = stats.errors.get(key, 0) + 1
    finally:
        await client.aclose()


def _cpu(server_pid: int) -> tuple[float, float, float]:
    """CPU seconds used so far by this load generator and by the server (its workers and store
    writers included); 1-min load average."""
    import psutil

    root = psutil.Process(server_pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return time.process_time(), total, os.getloadavg()[0]


def _rows_stored(store_path: Path) -> int:
    """Benchmark values in the workspace's programme store (read after the server stopped)."""
    from mmsis.data.store import Store

    with Store(store_path, read_only=True) as store:
        row = store.con.execute(
            "SELECT count(*) FROM data_values WHERE data_element LIKE 'BENCH_U%'"
        ).fetchone()
    return int(row[0]) if row else 0


def _first_free_year(store_path: Path) -> int:
    """The first year after the benchmark values already stored (a kept --dir holds an
    earlier run's): the uploads add new rows, so rows acknowledged = rows stored holds."""
    from mmsis.data.store import Store

    with Store(store_path, read_only=True) as store:
        row = store.con.execute(
            "SELECT max(left(period, 4)) FROM data_values WHERE data_element LIKE 'BENCH_U%'"
        ).fetchone()
    return max(2030, int(row[0]) + 1) if row and row[0] else 2030


def _declare_bench_elements(store_path: Path, users: int) -> None:
    """The uploads' data elements come in with the metadata, as a country's would."""
    import pandas as pd

    from mmsis.data.store import Store

    ids = [f"BENCH_U{i}" for i in range(users)]
    with Store(store_path) as store:
        frame = pd.DataFrame({"id": ids, "aggregation_type": "SUM"})
        assert store.import_metadata({"data_elements": frame}).ok


def _slices(stats: Stats, width: float = 5.0) -> None:
    """Dashboard p50/p95 per slice of the window: a cold start (caches being filled at the
    first requests) shows in the first slice, the steady state in the others."""
    lat, t = np.array(stats.lat["dashboard"]), np.array(stats.started["dashboard"])
    if not len(lat):
        return
    t = t - t.min()
    cells = []
    for lo in np.arange(0, t.max() + 1e-9, width):
        sel = lat[(t >= lo) & (t < lo + width)]
        if len(sel):
            p50, p95 = np.percentile(sel, [50, 95])
            cells.append(f"{lo:.0f}-{lo + width:.0f} s: {p50:.0f}/{p95:.0f} (n {len(sel)})")
    print("dashboard p50/p95 ms by start time: " + "; ".join(cells))
    late = lat[t >= width]
    if len(late):
        print(f"dashboard p95 after the first {width:.0f} s: {np.percentile(late, 95):.0f} ms")


async def _wait_warm(client: httpx.AsyncClient, limit: float = 600.0) -> float:
    """Seconds until GET /healthz says ``warm`` (every dashboard computed ahead; with N
    workers, the worker that answers)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        r = await client.get("/healthz")
        if r.status_code == 200 and r.json().get("status") == "warm":
            return time.perf_counter() - t0
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not say warm within {limit:.0f} s")


def _large_country(url: str, workspace_id: int, store_path: Path, n_fac: int, months: int,
                   tmp: Path) -> dict[str, float]:
    """Give the seeded workspace a large country: ``n_fac`` generated facilities (50 to a
    district, districts in 5 regions, all under the example country's root) in the web
    database and the store, and ``n_fac x months x 42`` synthetic values of the workspace's own
    data elements (benchmarks/routine.py's generator) imported into the store. Returns the
    seconds each step took and the store's row counts."""
    import pandas as pd
    from sqlalchemy import select

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import routine  # benchmarks/routine.py: the same synthetic values as its curve

    from mmsis.data.store import Store
    from mmsis.web import db as dbm
    from mmsis.web import services
    from mmsis.web.models import OrgUnit, Workspace

    out: dict[str, float] = {}
    t = time.perf_counter()
    csv, ous, _reports = routine.make_data(tmp, n_fac, months)
    out["generate_s"] = time.perf_counter() - t
    engine = dbm.make_engine(url)
    factory = dbm.session_factory(engine)
    try:
        with dbm.session_scope(factory) as db:
            ws = db.get(Workspace, workspace_id)
            assert ws is not None
            have = db.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.level, OrgUnit.parent_id,
                                     OrgUnit.path, OrgUnit.population)
                              .where(OrgUnit.workspace_id == workspace_id)).all()
            cols = ["id", "name", "level", "parent_id", "path", "population"]
            old = pd.DataFrame([tuple(r) for r in have], columns=cols)
            root = old.loc[old["level"] == 1, "id"].iloc[0]
            new = ous[ous["id"] != "ROOT"].copy()  # the generator's own root becomes the country
            new["parent_id"] = new["parent_id"].replace("ROOT", root)
            new["path"] = new["path"].str.replace("/ROOT/", f"/{root}/", regex=False)
            new["name"] = "Large " + new["name"]
            assert not set(new["id"]) & set(old["id"]), "generated ids clash with the seed's"
            t = time.perf_counter()
            services.load_org_units(db, ws, pd.concat([old, new], ignore_index=True))
        out["web_org_units_s"] = time.perf_counter() - t
    finally:
        engine.dispose()
    with Store(store_path) as store:
        t = time.perf_counter()
        assert store.import_metadata({"org_units": new}).ok
        report = store.import_file(csv)
        assert report.ok, report.refusals[:3]
        store.con.execute("CHECKPOINT")
        out["import_s"] = time.perf_counter() - t
        out["values"] = float(store.count("data_values"))
        row = store.con.execute("SELECT count(*) FROM value_totals").fetchall()
        out["totals_rows"] = float(row[0][0])
    csv.unlink()
    (tmp / "next_month.csv").unlink(missing_ok=True)
    return out


def _store_reads(store_path: Path, units: list[str]) -> None:
    """What one dashboard trend or indicators request reads: the same lookup the web makes
    (`subtree_series` on the pre-aggregated totals) for each of ``units``, timed on a fresh
    connection and again, against the roll-up of the raw values it replaces
    (`monthly_series`; not for the first unit, the country, whose roll-up is too big)."""
    from mmsis.data.store import Store
    from mmsis.measure.routine.series import monthly_series
    from mmsis.measure.routine.totals import subtree_series

    elements = ["ANC1", "IFA_CLIENTS", "MMS_CLIENTS"]
    with Store(store_path, read_only=True) as st:
        for i, unit in enumerate(units):
            ways = [("totals", subtree_series), ("totals again", subtree_series)]
            ways += [("raw values", monthly_series)] if i else []
            for name, fn in ways:
                t = time.perf_counter()
                frame = fn(st, elements, unit)
                ms = (time.perf_counter() - t) * 1000
                assert frame is not None, f"{unit}: the totals cannot answer the trend"
                print(f"  trend of {unit} from the {name}: {ms:,.0f} ms ({len(frame)} rows)")


def main() -> None:
    """Seed, serve, load, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean think time between a user's requests, seconds (exponential; 0 = none)",
    )
    ap.add_argument("--database", default=None, help="database URL (default: temp SQLite)")
    ap.add_argument("--workers", type=int, default=1, help="server processes (mmsis serve)")
    ap.add_argument("--cold", action="store_true",
                    help="do not wait for GET /healthz to say warm before measuring")
    ap.add_argument("--facilities", type=int, default=0,
                    help="a large country: add N generated facilities (and their districts "
                         "and regions) with --months of values of every data element")
    ap.add_argument("--months", type=int, default=48,
                    help="months of values of the --facilities (x 42 element/combo pairs)")
    ap.add_argument("--dir", default=None,
                    help="work in this folder and keep it: a second run over it reuses the "
                         "seeded workspace and its large country (default: a new temp folder)")
    args = ap.parse_args()

    from mmsis.demos.web import seed_demo

    tmp = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="mmsis-web-load-"))
    tmp.mkdir(parents=True, exist_ok=True)
    url = args.database or f"sqlite:///{tmp / 'workspace.sqlite3'}"
    t0 = time.perf_counter()
    info = seed_demo(url, tmp / "data")
    print(f"seeded {url.split('@')[-1]} in {time.perf_counter() - t0:.1f} s")
    store_path = tmp / "data" / f"workspace-{info['workspace_id']}.duckdb"
    _declare_bench_elements(store_path, args.users)
    if args.facilities and not info["created"]:
        print("large country: kept from the last run in this --dir")
    elif args.facilities:
        big = _large_country(url, info["workspace_id"], store_path, args.facilities,
                             args.months, tmp)
        print(f"large country: {big['values']:,.0f} values in the store "
              f"({big['totals_rows']:,.0f} rows of monthly totals); generated in "
              f"{big['generate_s']:.0f} s, org units into the web database in "
              f"{big['web_org_units_s']:.1f} s, imported in {big['import_s']:.0f} s")
    from sqlalchemy import select

    from mmsis.web import db as dbm
    from mmsis.web.models import OrgUnit

    engine = dbm.make_engine(url)
    with engine.connect() as conn:
        units = conn.execute(
            select(OrgUnit.id, OrgUnit.level).where(OrgUnit.workspace_id == info["workspace_id"])
        ).all()
    engine.dispose()
    districts = [u for u, lvl in units if lvl == 3]
    facilities = [u for u, lvl in units if lvl == 4]
    if args.facilities:  # the country, a district of the seed and a generated one
        seed_district = next(d for d in sorted(districts) if not re.fullmatch(r"DIS\d{3}", d))
        _store_reads(store_path, [u for u, lvl in units if lvl == 1] + [seed_district,
                                                                         "DIS000"])

    stored_before = _rows_stored(store_path)  # (a kept --dir holds an earlier run's rows)
    first_year = _first_free_year(store_path)
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    log = (tmp / "server.log").open("wb")
    env = {**os.environ, "MMSIS_SECRET_KEY": "load-test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "mmsis.cli", "serve", "--port", str(port), "--database", url,
         "--workers", str(args.workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{root}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        stats = Stats()

        login = (info["email"], info["password"])

        async def run() -> float:
            # Log every user in first (argon2 is deliberately slow and capped at two at once),
            # then measure the steady state of logged-in users only. One after another: they
            # share one account and one address, and parallel attempts on one account are
            # throttled after five (mmsis.web.security.PAIR_THROTTLE) whatever their password.
            t_login = time.perf_counter()
            clients = [await _logged_in(root, login, stats) for _ in range(args.users)]
            print(f"{args.users} logins in {time.perf_counter() - t_login:.1f} s")
            if not args.cold:  # as a deployment's health check: users come once it is warm
                print(f"warm after {await _wait_warm(clients[0]):.1f} s more")
            # the machine's load as the users arrive (other jobs share its cores)
            print("load average (1, 5, 15 min) before the window: "
                  + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
            usage[0] = _cpu(server.pid)
            deadline = time.monotonic() + args.duration
            start = time.perf_counter()
            await asyncio.gather(
                *(
                    _user(
                        i,
                        c,
                        info["workspace_id"],
                        districts,
                        facilities,
                        deadline,
                        stats,
                        args.think,
                        first_year,
                    )
                    for i, c in enumerate(clients)
                )
            )
            usage[1] = _cpu(server.pid)
            return time.perf_counter() - start

        usage: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)]
        elapsed = asyncio.run(run())
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # busy in a long computation: the figures are in
            server.kill()
            server.wait(timeout=20)
        log.close()

    total = sum(len(v) for v in stats.lat.values())
    (c0, s0, _), (c1, s1, load1) = usage
    print(
        f"\n{args.users} users for {args.duration:.0f} s (elapsed {elapsed:.1f} s, after logins), "
        f"think time {args.think:g} s"
    )
    print(
        f"CPU during the window: load generator {100 * (c1 - c0) / elapsed:.0f}% of a core, "
        f"server {100 * (s1 - s0) / elapsed:.0f}%; load average (1 min) {load1:.1f}"
    )
    print(f"requests: {total}, {total / elapsed:.1f} req/s")
    print(f"{'kind':<12}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, values in stats.lat.items():
        if values:
            p50, p95, p99 = np.percentile(values, [50, 95, 99])
            print(f"{kind:<12}{len(values):>7}{p50:>10.0f}{p95:>10.0f}{p99:>10.0f}")
    _slices(stats)
    errors = sum(stats.errors.values())
    print(f"errors: {errors} {stats.errors if stats.errors else ''}")
    stored = _rows_stored(store_path) - stored_before
    print(
        f"writes made (rows acknowledged): {stats.rows_written}; rows stored: {stored}; "
        f"lost: {stats.rows_written - stored}"
    )
    if stats.lat["dashboard"]:
        p95 = float(np.percentile(stats.lat["dashboard"], 95))
        print(
            f"dashboard p95 / target {TARGET_DASHBOARD_P95_MS:.0f} ms = "
            f"{p95 / TARGET_DASHBOARD_P95_MS:.2f}"
        )


if __name__ == "__main__":
    main()
