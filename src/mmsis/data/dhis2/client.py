"""A client for a live DHIS2 and a chunked, retried, resumable pull into the store.

Built on the official ``dhis2-client`` (HTTP session, auth headers, error payloads). Its own
retry loop re-sends 5xx GETs at once, without waiting, and does not retry dropped connections,
so it runs here with ``retries=0`` under a retry loop with exponential backoff.
Credentials come from the environment only: ``DHIS2_TOKEN`` (a personal access token) or
``DHIS2_USERNAME`` and ``DHIS2_PASSWORD``.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dhis2_client import DHIS2Client, DHIS2HTTPError

from mmsis.data.dhis2 import formats
from mmsis.data.dhis2.calendars import calendar_of, to_gregorian_months
from mmsis.data.dhis2.periods import periods_between
from mmsis.data.store import Refusal, Store
from mmsis.errors import InputError, MmsisError


class RowCapError(MmsisError):
    """DHIS2 refused an analytics query for exceeding its row cap (409, E7128)."""


class Dhis2:
    """A DHIS2 Web API connection with backoff retries and clear errors."""

    def __init__(self, url: str, *, token: str | None = None, username: str | None = None,
                 password: str | None = None, retries: int = 4, backoff: float = 1.0,
                 timeout: float = 60.0) -> None:
        if not token and not (username and password):
            raise InputError("no DHIS2 credentials: set DHIS2_TOKEN, or DHIS2_USERNAME and "
                             "DHIS2_PASSWORD, in the environment", field="auth")
        self.url = url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._client = DHIS2Client(self.url, token=token, username=username, password=password,
                                   retries=0, timeout=timeout, connect_timeout=timeout)

    @classmethod
    def from_env(cls, url: str, **kwargs: Any) -> Dhis2:
        """Connect with credentials from DHIS2_TOKEN or DHIS2_USERNAME/DHIS2_PASSWORD."""
        return cls(url, token=os.environ.get("DHIS2_TOKEN") or None,
                   username=os.environ.get("DHIS2_USERNAME") or None,
                   password=os.environ.get("DHIS2_PASSWORD") or None, **kwargs)

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()

    def get(self, path: str, params: Any = None) -> dict[str, Any]:
        """GET a JSON resource; retry 5xx and dropped connections with exponential backoff."""
        return self._send(lambda: self._client.get(path, params=params), path)

    def post_data_values(self, body: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        """POST a dataValueSet (create and update); with `dry_run` DHIS2 checks and counts but
        writes nothing. The answer holds the import summary, also when DHIS2 reports conflicts
        with a 409 (2.38 and later)."""
        params = {"dryRun": "true" if dry_run else "false",
                  "importStrategy": "CREATE_AND_UPDATE"}
        path = "/api/dataValueSets"
        return self._send(lambda: self._client.post(path, params=params, json=body), path,
                          summary_on_409=True)

    def _send(self, request: Callable[[], dict[str, Any]], path: str,
              summary_on_409: bool = False) -> dict[str, Any]:
        """One request with the retries and the clear errors of every call."""
        for attempt in range(self.retries + 1):
            try:
                return request()
            except DHIS2HTTPError as exc:
                payload = exc.payload or {}
                if summary_on_409 and exc.status_code == 409 and isinstance(payload, dict) \
                        and ("response" in payload or "importCount" in payload):
                    return payload
                if exc.status_code == 401:
                    raise InputError(f"DHIS2 at {self.url} refused the credentials (401 "
                                     "Unauthorized): check DHIS2_TOKEN or DHIS2_USERNAME/"
                                     "DHIS2_PASSWORD", field="auth") from exc
                if exc.status_code == 409 and payload.get("errorCode") == "E7128":
                    raise RowCapError(str(payload.get("message", "row cap"))) from exc
                if exc.status_code < 500 or attempt == self.retries:
                    msg = payload.get("message") or str(exc)
                    raise InputError(f"DHIS2 {exc.status_code} on {path}: {msg}"
                                     + (f" (after {attempt + 1} attempts)" if attempt else ""),
                                     field="url") from exc
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise InputError(f"cannot reach DHIS2 at {self.url}: {exc}",
                                     field="url") from exc
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def org_units(self, root: str | None = None) -> dict[str, Any]:
        """Org units (id, name, level, path, parent) under ``root`` (all when None)."""
        params: list[tuple[str, str]] = [("fields", "id,name,level,path,parent[id],openingDate"),
                                         ("paging", "false")]
        if root:
            params.append(("filter", f"path:like:{root}"))
        return self.get("/api/organisationUnits", params)

    def children(self, uid: str) -> list[str]:
        """Ids of the children of an org unit."""
        doc = self.get(f"/api/organisationUnits/{uid}", [("fields", "children[id]")])
        return [c["id"] for c in doc.get("children", [])]

    def data_elements(self, ids: list[str] | None = None) -> dict[str, Any]:
        """Data elements with their aggregation types."""
        params: list[tuple[str, str]] = [
            ("fields", "id,name,shortName,valueType,aggregationType,domainType"),
            ("paging", "false")]
        if ids:
            params.append(("filter", f"id:in:[{','.join(ids)}]"))
        return self.get("/api/dataElements", params)

    def system_info(self) -> dict[str, Any]:
        """The instance's `/api/system/info` (version, calendar, date format ...)."""
        return self.get("/api/system/info")

    def analytics(self, data_elements: list[str], periods: list[str], org_unit: str,
                  level: int) -> dict[str, Any]:
        """Analytics by data element, option combo, period and org unit at ``level``."""
        params = [("dimension", f"dx:{';'.join(data_elements)}"), ("dimension", "co"),
                  ("dimension", f"pe:{';'.join(periods)}"),
                  ("dimension", f"ou:{org_unit};LEVEL-{level}"), ("skipMeta", "true"),
                  ("skipRounding", "true")]
        return self.get("/api/analytics", params)


@dataclass
class PullResult:
    """What a pull did."""

    chunks_done: int = 0
    chunks_skipped: int = 0
    splits: int = 0
    values: int = 0
    imported: int = 0
    updated: int = 0
    ignored: int = 0


def expand_periods(periods: list[str]) -> list[str]:
    """Expand 'A:B' ranges into the periods between (same type), keep single periods."""
    out: list[str] = []
    for p in periods:
        if ":" in p:
            a, b = p.split(":", 1)
            out += periods_between(a, b)
        else:
            out.append(p)
    return out


def refusals_text(refusals: Sequence[Refusal], limit: int = 5) -> str:
    """Refused rows grouped by problem and value ("unknown data element NOPE (6 rows)"),
    so a failed sync names what to fix instead of listing row objects."""
    groups = Counter((r.column, r.reason, r.value) for r in refusals)
    parts = [f"{reason} {value} ({n:,} {'row' if n == 1 else 'rows'})" if value is not None
             else f"{column}: {reason} ({n:,} {'row' if n == 1 else 'rows'})"
             for (column, reason, value), n in groups.most_common(limit)]
    more = len(groups) - limit
    return "; ".join(parts) + (f"; and {more:,} more problems" if more > 0 else "")


def pull(client: Dhis2, store: Store, *, data_elements: list[str], periods: list[str],
         org_unit: str | None = None, level: int | None = None,
         checkpoint: str | Path | None = None, chunk_periods: int = 12,
         on_chunk: Callable[[str, int, int], None] | None = None,
         on_step: Callable[[str, str], None] | None = None) -> PullResult:
    """Pull metadata and analytics values into the store, chunked by period and org unit.

    A chunk refused for the row cap (E7128) is split: first its periods, then its org unit
    into children. Finished chunks are appended to ``checkpoint`` so a rerun skips them;
    ``on_chunk(key, finished, remaining)`` hears of each finished chunk (job progress);
    ``on_step(step, key)`` hears 'fetched' (before the chunk's store transaction) and
    'committed' (after it, before the checkpoint) of each chunk (the crash tests' fault points).
    """
    if not data_elements or not periods:
        raise InputError("give --data-elements and --periods", field="pull")
    pes = expand_periods(periods)
    calendar = calendar_of(client.system_info())
    meta = formats.read_metadata_json({**client.org_units(org_unit),
                                       **client.data_elements(data_elements)})
    rep = store.import_metadata(meta, file=f"{client.url}/api/metadata")
    if not rep.ok:
        raise InputError(f"DHIS2 metadata refused: {refusals_text(rep.refusals)}",
                         file=client.url)
    ous = meta.get("org_units")
    if ous is None or ous.empty:
        raise InputError(f"no org units found under {org_unit or 'the root'}", field="org_unit")
    root = org_unit or str(ous.sort_values("level")["id"].iloc[0])
    lvl = int(level or ous["level"].max())
    done: set[str] = set()
    ck = Path(checkpoint) if checkpoint else None
    if ck and ck.exists():
        done = {line.strip() for line in ck.read_text().splitlines() if line.strip()}
    result = PullResult()
    queue = [(tuple(pes[i:i + chunk_periods]), root) for i in range(0, len(pes), chunk_periods)]
    while queue:
        chunk_pes, ou = queue.pop(0)
        key = f"{';'.join(chunk_pes)}|{ou}"
        if key in done:
            result.chunks_skipped += 1
            continue
        try:
            doc = client.analytics(data_elements, list(chunk_pes), ou, lvl)
        except RowCapError:
            result.splits += 1
            if len(chunk_pes) > 1:
                half = len(chunk_pes) // 2
                queue[:0] = [(chunk_pes[:half], ou), (chunk_pes[half:], ou)]
                continue
            kids = client.children(ou)
            if not kids:
                raise InputError(f"one period at org unit {ou} still exceeds the DHIS2 "
                                 "analytics row cap", field="org_unit") from None
            queue[:0] = [(chunk_pes, k) for k in kids]
            continue
        if on_step is not None:
            on_step("fetched", key)
        df = formats.analytics_to_data_values(formats.read_analytics_json(doc, client.url))
        # an Ethiopian or Nepali instance's periods become Gregorian months, by days
        df = to_gregorian_months(df, calendar)
        r = store.import_data_values(df, file=f"{client.url}/api/analytics ({key})",
                                     aggregated=True)
        if not r.ok:
            raise InputError(f"DHIS2 values refused: {refusals_text(r.refusals)}",
                             file=client.url)
        result.values += r.rows
        result.imported += r.imported
        result.updated += r.updated
        result.ignored += r.ignored
        result.chunks_done += 1
        if on_step is not None:
            on_step("committed", key)
        if ck:
            with ck.open("a") as fh:
                fh.write(key + "\n")
        if on_chunk is not None:
            on_chunk(key, result.chunks_done + result.chunks_skipped, len(queue))
    return result
