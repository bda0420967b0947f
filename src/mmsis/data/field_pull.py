"""Pull field submissions from ODK Central (with pyodk, its official client) and KoboToolbox.

ODK Central: `POST /v1/sessions` for a token, then the OData feed
`GET /v1/projects/{project}/forms/{form}.svc/Submissions` (paged with `$top`/`$skip`; with
`$expand=*` so repeats come inline as lists).
KoboToolbox: `GET /api/v2/assets/{uid}/data/?format=json` with `Authorization: Token ...`,
following `next` links. Both are read into the same table as an export (mmsis.data.field).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

from mmsis.data.field import Submissions, read_json
from mmsis.errors import InputError

PAGE = 1000
MAX_PAGES = 10_000
TIMEOUT = 60.0


def pull_odk(server: str, project: int, form: str, username: str, password: str,
             cache: Path) -> Submissions:
    """Every submission of an ODK Central form, read through pyodk's OData client."""
    import requests
    from pyodk._utils.config import CentralConfig, Config
    from pyodk.client import Client
    from pyodk.errors import PyODKError

    config = Config(central=CentralConfig(base_url=server.rstrip("/"), username=username,
                                          password=password, default_project_id=project))
    records: list[Any] = []
    quiet = logging.getLogger("pyodk")  # pyodk logs every refusal with its traceback
    kept, quiet.propagate = quiet.propagate, False
    try:
        with Client(config=config, cache_path=cache / "pyodk_cache.toml") as client:
            for page in range(MAX_PAGES):
                data = client.submissions.get_table(form_id=form, project_id=project,
                                                    top=PAGE, skip=page * PAGE, expand="*")
                batch = data.get("value", [])
                records.extend(batch)
                if len(batch) < PAGE:
                    break
    except PyODKError as exc:
        raise InputError(f"ODK Central refused or failed: {str(exc).splitlines()[0][:300]}",
                         field="server") from None
    except requests.RequestException as exc:
        raise InputError(f"could not reach ODK Central: {type(exc).__name__}",
                         field="server") from None
    finally:
        quiet.propagate = kept
    return read_json({"value": records}, form, source=f"ODK Central {server} project {project}")


def pull_kobo(server: str, asset: str, token: str) -> Submissions:
    """Every submission of a KoboToolbox form (asset uid) from its v2 data API."""
    url: str | None = f"{server.rstrip('/')}/api/v2/assets/{asset}/data/"
    params: dict[str, Any] | None = {"format": "json", "limit": PAGE}
    results: list[Any] = []
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    with httpx.Client(timeout=TIMEOUT, headers=headers) as client:
        for _ in range(MAX_PAGES):
            if url is None:
                break
            try:
                resp = client.get(url, params=params)
            except httpx.HTTPError as exc:
                raise InputError(f"could not reach KoboToolbox: {exc}", field="server") from None
            if resp.status_code in (401, 403):
                raise InputError("KoboToolbox refused the token (HTTP "
                                 f"{resp.status_code})", field="credentials")
            if resp.status_code == 404:
                raise InputError(f"no form {asset} on {server}", field="form")
            if resp.status_code >= 400:
                raise InputError(f"KoboToolbox answered HTTP {resp.status_code}", field="server")
            try:
                body = resp.json()
            except ValueError:
                raise InputError("KoboToolbox answered with something that is not JSON",
                                 field="server") from None
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise InputError("KoboToolbox's answer has no `results` list", field="server")
            results.extend(body["results"])
            nxt = body.get("next")
            url, params = (nxt, None) if isinstance(nxt, str) and nxt else (None, None)
    return read_json({"results": results}, asset, source=f"KoboToolbox {server}")
