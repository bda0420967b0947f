"""Loopback ODK Central and KoboToolbox servers answering as their API documentation shows.

ODK Central (docs.getodk.org/central-api): `POST /v1/sessions` with `{"email", "password"}`
-> `{"token": ...}`; `GET /v1/users/current` with `Authorization: Bearer` checks it;
`GET /v1/projects/{p}/forms/{f}.svc/Submissions` -> OData JSON `{"@odata.context", "value":
[...]}` with groups as nested objects, `__id` and `__system` (submissionDate, formVersion...),
paged by `$top`/`$skip`, repeats inline as lists with `$expand=*` (else an
`@odata.navigationLink`). KoboToolbox (kpi v2): `GET /api/v2/assets/{uid}/data/?format=json`
with `Authorization: Token ...` -> `{"count", "next", "previous", "results": [...]}` whose
keys are the export's `/`-joined group paths.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

ODK_USER, ODK_PASSWORD, ODK_TOKEN = "field@example.org", "central-pass-123", "odk-session-tok"
KOBO_TOKEN = "kobo-api-key-123"


def _scale(seed: int, scale: str) -> dict[str, str]:
    rng = random.Random(f"{scale}{seed}")
    base = {"aim": 4, "iam": 3, "fim": 4}[scale]
    return {f"{scale}_{i}": str(min(5, max(1, base + rng.choice((-2, -1, 0, 0, 1)))))
            for i in range(1, 5)}


def respondents(n: int = 12) -> list[dict[str, Any]]:
    """Synthetic respondents of the household form: district, cluster, AIM/IAM/FIM, pills."""
    out = []
    for k in range(n):
        out.append({
            "uuid": f"uuid:{k:04d}-0000", "district": "D1" if k % 2 else "D2",
            "cluster": f"C{k % 4}", "received": str(90 + k), "left": str(k),
            **_scale(k, "aim"), **_scale(k, "iam"), **_scale(k, "fim"),
        })
    return out


def odata_record(r: dict[str, Any]) -> dict[str, Any]:
    """One respondent as ODK Central's OData shows it (groups nested)."""
    return {
        "__id": r["uuid"],
        "__system": {"submissionDate": "2026-10-01T10:00:00.000Z", "formVersion": "2026010101",
                     "submitterId": "5", "reviewState": None},
        "meta": {"instanceID": r["uuid"]},
        "respondent_type": "household", "cluster": r["cluster"], "district": r["district"],
        "main": {
            "received_supp": "yes", "supp_type": "mms", "tabs_received": r["received"],
            "bottle_seen": "yes", "tabs_left": r["left"],
            **{f"{s}_group": {f"{s}_{i}": r[f"{s}_{i}"] for i in range(1, 5)}
               for s in ("aim", "iam", "fim")},
        },
    }


def kobo_record(r: dict[str, Any], i: int) -> dict[str, Any]:
    """One respondent as Kobo's v2 data API shows it (flat `/` paths)."""
    rec: dict[str, Any] = {"_id": 1000 + i, "_uuid": r["uuid"].removeprefix("uuid:"),
                           "__version__": "vAbC123", "_submission_time": "2026-10-01T10:00:00",
                           "respondent_type": "household", "cluster": r["cluster"],
                           "district": r["district"], "main/received_supp": "yes",
                           "main/tabs_received": r["received"], "main/bottle_seen": "yes",
                           "main/tabs_left": r["left"], "_attachments": [], "_tags": []}
    for s in ("aim", "iam", "fim"):
        for j in range(1, 5):
            rec[f"main/{s}_group/{s}_{j}"] = r[f"{s}_{j}"]
    return rec


OBS_ITEMS = ("obs_given", "obs_dose", "obs_duration", "obs_side", "obs_adherence")


def visits() -> list[dict[str, Any]]:
    """Synthetic facility checklist visits, each with its observed consultations (a repeat)."""
    pattern = [  # per visit: consultations as (given, dose, duration, side, adherence)
        [("done", "done", "done", "done", "done"), ("done", "done", "not_done", "done", "na")],
        [("done", "done", "done", "na", "done")],
        [("not_done", "na", "na", "na", "na"), ("done", "done", "done", "done", "done"),
         ("done", "not_done", "done", "done", "done")],
        [("done", "done", "done", "done", "done"), ("done", "done", "done", "done", "done")],
    ]
    out = []
    for k, obs in enumerate(pattern):
        out.append({"uuid": f"uuid:fac{k}", "district": "D1" if k < 2 else "D2",
                    "facility": f"F{k + 1}", "mms_in_stock": "yes", "guideline": "yes",
                    "staff_anc": "3", "staff_trained": "1", "ready": "1",
                    "obs": [dict(zip(OBS_ITEMS, o, strict=True)) for o in obs]})
    return out


def odata_visit(v: dict[str, Any], expand: bool) -> dict[str, Any]:
    """A visit as ODK Central's OData shows it: repeats inline with `$expand=*`, else a link."""
    rec: dict[str, Any] = {
        "__id": v["uuid"], "__system": {"submissionDate": "2026-10-02T09:00:00.000Z",
                                        "formVersion": "2026010102"},
        "meta": {"instanceID": v["uuid"]}, "district": v["district"],
        "facility": v["facility"], "n_obs": str(len(v["obs"])),
        **{k: v[k] for k in ("mms_in_stock", "guideline", "staff_anc", "staff_trained",
                              "ready")},
    }
    if expand:
        rec["obs"] = [{**o, "__id": f"rep{i}"} for i, o in enumerate(v["obs"])]
    else:
        rec["obs@odata.navigationLink"] = f"Submissions('{v['uuid']}')/obs"
    return rec


def kobo_visit(v: dict[str, Any], i: int) -> dict[str, Any]:
    """A visit as Kobo's v2 data API shows it (the repeat a list under its path)."""
    return {"_id": 2000 + i, "_uuid": v["uuid"].removeprefix("uuid:"), "__version__": "vF1",
            "_submission_time": "2026-10-02T09:00:00", "district": v["district"],
            "facility": v["facility"], "n_obs": str(len(v["obs"])),
            **{k: v[k] for k in ("mms_in_stock", "guideline", "staff_anc", "staff_trained",
                                 "ready")},
            "obs": [{f"obs/{k}": val for k, val in o.items()} for o in v["obs"]],
            "_attachments": [], "_geolocation": [None, None]}


class State:
    """What the servers hold and saw."""

    def __init__(self, rows: list[dict[str, Any]],
                 facility_visits: list[dict[str, Any]] | None = None) -> None:
        self.rows = rows
        self.visits = facility_visits or []
        self.requests: list[str] = []


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            state.requests.append(f"POST {self.path}")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if self.path == "/v1/sessions":
                if body.get("email") == ODK_USER and body.get("password") == ODK_PASSWORD:
                    self._send(200, {"token": ODK_TOKEN, "csrf": "x",
                                     "expiresAt": "2099-01-01T00:00:00.000Z"})
                else:
                    self._send(401, {"code": 401.2, "message": "Could not authenticate with "
                                     "the provided credentials."})
                return
            self._send(404, {"code": 404.1, "message": "Could not find the resource."})

        def do_GET(self) -> None:  # noqa: N802
            state.requests.append(f"GET {self.path}")
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            auth = self.headers.get("Authorization", "")
            if url.path.startswith("/v1/"):
                if auth != f"Bearer {ODK_TOKEN}":
                    self._send(401, {"code": 401.2, "message": "Could not authenticate."})
                    return
                if url.path == "/v1/users/current":
                    self._send(200, {"id": 5, "email": ODK_USER})
                    return
                if url.path == "/v1/projects/7/forms/mms_household_exit.svc/Submissions":
                    skip, top = int(q.get("$skip", 0)), int(q.get("$top", 10**9))
                    page = [odata_record(r) for r in state.rows][skip:skip + top]
                    self._send(200, {"@odata.context": "http://x/$metadata#Submissions",
                                     "value": page})
                    return
                if url.path == "/v1/projects/7/forms/mms_facility_readiness.svc/Submissions":
                    skip, top = int(q.get("$skip", 0)), int(q.get("$top", 10**9))
                    expand = q.get("$expand") == "*"
                    page = [odata_visit(v, expand) for v in state.visits][skip:skip + top]
                    self._send(200, {"@odata.context": "http://x/$metadata#Submissions",
                                     "value": page})
                    return
                self._send(404, {"code": 404.1, "message": "Could not find the resource."})
                return
            if url.path == "/api/v2/assets/aBcKoboUid/data/":
                if auth != f"Token {KOBO_TOKEN}":
                    self._send(401, {"detail": "Invalid token."})
                    return
                start, limit = int(q.get("start", 0)), int(q.get("limit", 100))
                limit = min(limit, 5)  # small pages, so `next` is followed
                recs = [kobo_record(r, i) for i, r in enumerate(state.rows)]
                nxt = (f"http://{self.headers['Host']}{url.path}?format=json&limit={limit}"
                       f"&start={start + limit}" if start + limit < len(recs) else None)
                self._send(200, {"count": len(recs), "next": nxt, "previous": None,
                                 "results": recs[start:start + limit]})
                return
            if url.path == "/api/v2/assets/aFacKoboUid/data/":
                if auth != f"Token {KOBO_TOKEN}":
                    self._send(401, {"detail": "Invalid token."})
                    return
                recs = [kobo_visit(v, i) for i, v in enumerate(state.visits)]
                self._send(200, {"count": len(recs), "next": None, "previous": None,
                                 "results": recs})
                return
            self._send(404, {"detail": "Not found."})

    return Handler


@contextmanager
def serve(rows: list[dict[str, Any]], facility_visits: list[dict[str, Any]] | None = None
          ) -> Iterator[tuple[str, State]]:
    """Run both servers on one loopback port; yield the base URL and the state."""
    state = State(rows, facility_visits)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
