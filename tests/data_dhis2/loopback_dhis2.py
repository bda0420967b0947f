"""A loopback DHIS2 test server speaking the documented Web API formats (analytics, metadata,
error payloads, dataValueSets import with dryRun and its import summary), on 127.0.0.1 at a
random port."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "d2pat_testtoken"
ORG_UNITS = [
    {"id": "ROOT", "name": "Country", "level": 1, "path": "/ROOT"},
    {"id": "D1", "name": "District 1", "level": 2, "path": "/ROOT/D1", "parent": {"id": "ROOT"}},
    {"id": "D2", "name": "District 2", "level": 2, "path": "/ROOT/D2", "parent": {"id": "ROOT"}},
    {"id": "F11", "name": "Facility 11", "level": 3, "path": "/ROOT/D1/F11",
     "parent": {"id": "D1"}},
    {"id": "F12", "name": "Facility 12", "level": 3, "path": "/ROOT/D1/F12",
     "parent": {"id": "D1"}},
    {"id": "F21", "name": "Facility 21", "level": 3, "path": "/ROOT/D2/F21",
     "parent": {"id": "D2"}},
]
DATA_ELEMENTS = [
    {"id": "ANC1", "name": "ANC first visits", "aggregationType": "SUM", "valueType": "INTEGER"},
    {"id": "MMS_CLIENTS", "name": "MMS clients", "aggregationType": "SUM",
     "valueType": "INTEGER"},
]
PERIODS = [f"2024{m:02d}" for m in range(1, 7)]
PUSH_DATA_ELEMENTS = {"MmsCovAnc1a": "MMS coverage among ANC1 clients (mmsis)",
                      "MmsAnc1Rate": "ANC1 per 1,000 population (mmsis)"}
"""Data elements the loopback accepts in a dataValueSets POST (11-character uids)."""
DEFAULT_COC = "HllvX50cXC0"


def value_of(de: str, pe: str, ou: str) -> int:
    """The server's deterministic data value."""
    return (10 if de == "ANC1" else 3) + int(pe[-2:]) + int(ou[1:])


class State:
    """Mutable server state: row cap, injected failures, request log."""

    def __init__(self) -> None:
        self.max_rows = 10_000
        self.calendar = "iso8601"  # what /api/system/info says (ethiopian, nepali ...)
        self.fail_500 = 0
        self.delay = 0.0  # seconds before each analytics answer (kill -9 tests)
        self.requests: list[str] = []
        self.pushed: dict[tuple[str, str, str, str, str], str] = {}
        """Values stored by dataValueSets POSTs: (de, pe, ou, coc, aoc) -> value."""
        self.posts: list[dict[str, Any]] = []  # every POST: params and body


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # silence
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, code: int, status: str, message: str, error_code: str | None = None
                   ) -> None:
            body: dict[str, Any] = {"httpStatus": status, "httpStatusCode": code,
                                    "status": "ERROR", "message": message}
            if error_code:
                body["errorCode"] = error_code
            self._send(code, body)

        def do_GET(self) -> None:  # noqa: N802
            auth = self.headers.get("Authorization", "")
            basic = "Basic " + base64.b64encode(b"admin:district").decode()
            if auth not in (f"ApiToken {TOKEN}", basic):
                self._error(401, "Unauthorized", "Unauthorized")
                return
            url = urlparse(self.path)
            q = parse_qs(url.query)
            state.requests.append(self.path)
            if state.fail_500 > 0:
                state.fail_500 -= 1
                self._error(500, "Internal Server Error", "Something went wrong")
                return
            if url.path == "/api/system/info":
                # GET /api/system/info (DHIS2 Web API: system resource)
                self._send(200, {"version": "2.40.3", "revision": "loopback",
                                 "systemName": "Loopback DHIS2", "contextPath": "",
                                 "serverDate": "2024-07-01T00:00:00.000",
                                 "calendar": state.calendar, "dateFormat": "yyyy-mm-dd"})
            elif url.path == "/api/organisationUnits":
                flt = q.get("filter", [""])[0]
                root = flt.split("path:like:")[-1] if "path:like:" in flt else ""
                ous = [o for o in ORG_UNITS if root in o["path"]]
                self._send(200, {"organisationUnits": ous})
            elif url.path.startswith("/api/organisationUnits/"):
                uid = url.path.rsplit("/", 1)[-1]
                kids = [{"id": o["id"]} for o in ORG_UNITS
                        if o.get("parent", {}).get("id") == uid]
                self._send(200, {"children": kids})
            elif url.path == "/api/dataElements":
                self._send(200, {"dataElements": DATA_ELEMENTS})
            elif url.path == "/api/analytics":
                if state.delay:
                    time.sleep(state.delay)
                self._analytics(q)
            elif url.path in ("/api/dataValueSets", "/api/dataValueSets.json"):
                self._data_value_sets(q)
            else:
                self._error(404, "Not Found", f"no resource {url.path}")

        def do_POST(self) -> None:  # noqa: N802
            auth = self.headers.get("Authorization", "")
            basic = "Basic " + base64.b64encode(b"admin:district").decode()
            if auth not in (f"ApiToken {TOKEN}", basic):
                self._error(401, "Unauthorized", "Unauthorized")
                return
            url = urlparse(self.path)
            q = parse_qs(url.query)
            state.requests.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._error(400, "Bad Request", "The request body is not valid JSON")
                return
            if url.path not in ("/api/dataValueSets", "/api/dataValueSets.json"):
                self._error(404, "Not Found", f"no resource {url.path}")
                return
            self._import_data_values(q, body)

        def _import_data_values(self, q: dict[str, list[str]], body: dict[str, Any]) -> None:
            """POST /api/dataValueSets (DHIS2 docs: data values, sending): each value is
            imported, updated, or ignored with a conflict (unknown data element, org unit or
            period, non-numeric value); dryRun=true counts without storing. The answer is a
            WebMessage whose `response` is the ImportSummary (2.38+), 409 with conflicts."""
            dry = q.get("dryRun", ["false"])[0] == "true"
            state.posts.append({"dryRun": dry, "body": body})
            counts = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
            conflicts: list[dict[str, Any]] = []
            ous = {o["id"] for o in ORG_UNITS}
            staged: dict[tuple[str, str, str, str, str], str] = {}
            for i, dv in enumerate(body.get("dataValues", [])):
                de, pe, ou = dv.get("dataElement", ""), str(dv.get("period", "")), \
                    dv.get("orgUnit", "")
                problem = None
                if de not in PUSH_DATA_ELEMENTS:
                    problem = (de, "Data element not found or not accessible", "dataElement")
                elif ou not in ous:
                    problem = (ou, "Organisation unit not found or not accessible", "orgUnit")
                elif not (len(pe) == 6 and pe.isdigit() and 1 <= int(pe[4:]) <= 13):
                    problem = (pe, "Period not valid", "period")
                else:
                    try:
                        float(dv.get("value", ""))
                    except ValueError:
                        problem = (str(dv.get("value")), "Value must be a number", "value")
                if problem is not None:
                    counts["ignored"] += 1
                    conflicts.append({"object": problem[0], "objects": {problem[2]: problem[0]},
                                      "value": problem[1], "property": problem[2],
                                      "indexes": [i]})
                    continue
                key = (de, pe, ou, dv.get("categoryOptionCombo") or DEFAULT_COC,
                       dv.get("attributeOptionCombo") or DEFAULT_COC)
                counts["updated" if key in state.pushed or key in staged else "imported"] += 1
                staged[key] = str(dv["value"])
            if not dry:
                state.pushed.update(staged)
            status = "WARNING" if conflicts else "SUCCESS"
            summary = {"responseType": "ImportSummary", "status": status,
                       "importOptions": {"dryRun": dry, "importStrategy": q.get(
                           "importStrategy", ["CREATE_AND_UPDATE"])[0]},
                       "description": "Import process completed successfully",
                       "importCount": counts, "conflicts": conflicts,
                       "rejectedIndexes": [c["indexes"][0] for c in conflicts],
                       "dataSetComplete": "false"}
            if conflicts:
                self._send(409, {"httpStatus": "Conflict", "httpStatusCode": 409,
                                 "status": "WARNING", "message": "One more conflicts "
                                 "encountered, please check import summary.",
                                 "response": summary})
            else:
                self._send(200, {"httpStatus": "OK", "httpStatusCode": 200, "status": "OK",
                                 "message": "Import was successful.", "response": summary})

        def _data_value_sets(self, q: dict[str, list[str]]) -> None:
            """GET /api/dataValueSets?dataElement=&period=&orgUnit=&children=true (DHIS2 docs:
            data values, reading): raw values of facilities in the org units' subtrees."""
            des = q.get("dataElement", [])
            pes = q.get("period", [])
            roots = q.get("orgUnit", [])
            if not (des or q.get("dataSet")) or not pes or not roots:
                self._error(409, "Conflict", "At least one data set or data element, period "
                            "and org unit must be specified", "E2001")
                return
            children = q.get("children", ["false"])[0] == "true"
            leaf = max(o["level"] for o in ORG_UNITS)
            ous = [o["id"] for o in ORG_UNITS if o["level"] == leaf and any(
                o["id"] == r or (children and f"/{r}/" in o["path"] + "/") for r in roots)]
            values = [{"dataElement": de, "period": pe, "orgUnit": ou,
                       "categoryOptionCombo": "HllvX50cXC0",
                       "attributeOptionCombo": "HllvX50cXC0",
                       "value": str(value_of(de, pe, ou))}
                      for de in (des or [d["id"] for d in DATA_ELEMENTS])
                      for pe in pes for ou in ous]
            self._send(200, {"dataValues": values})

        def _analytics(self, q: dict[str, list[str]]) -> None:
            dims = dict(d.split(":", 1) if ":" in d else (d, "") for d in q.get("dimension", []))
            des = dims["dx"].split(";")
            pes = dims["pe"].split(";")
            ou_items = dims["ou"].split(";")
            level = int(next(i for i in ou_items if i.startswith("LEVEL-")).split("-")[1])
            roots = [i for i in ou_items if not i.startswith("LEVEL-")]
            ous = [o["id"] for o in ORG_UNITS if o["level"] == level
                   and any(f"/{r}" in o["path"] for r in roots)]
            rows = [[de, "HllvX50cXC0", pe, ou, f"{value_of(de, pe, ou):.1f}"]
                    for de in des for pe in pes for ou in ous]
            if len(rows) > state.max_rows:
                self._error(409, "Conflict",
                            f"Query result set exceeded max limit: `{state.max_rows}`", "E7128")
                return
            headers = [{"name": n, "column": n, "meta": n != "value",
                        "type": "java.lang.String"} for n in ("dx", "co", "pe", "ou", "value")]
            self._send(200, {"headers": headers, "rows": rows, "height": len(rows),
                             "width": 5, "metaData": {}})

    return Handler


@contextmanager
def serve() -> Iterator[tuple[str, State]]:
    """(base URL, state) of a loopback DHIS2 server on a random port."""
    state = State()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
