"""The DHIS2 client and pull against the loopback server: auth, row-cap splits, retries,
resumable checkpoints."""

from __future__ import annotations

import pytest

from data_dhis2.loopback_dhis2 import PERIODS, TOKEN, value_of
from mmsis.data.dhis2.client import Dhis2, pull
from mmsis.data.store import Store
from mmsis.errors import InputError


def _client(url: str, **kw: object) -> Dhis2:
    return Dhis2(url, token=TOKEN, backoff=0.001, **kw)  # type: ignore[arg-type]


def test_pull_imports_values_and_metadata(dhis2_server) -> None:
    url, state = dhis2_server
    with Store(":memory:") as st:
        res = pull(_client(url), st, data_elements=["ANC1", "MMS_CLIENTS"],
                   periods=["202401:202406"])
        assert res.imported == 2 * 6 * 3 and res.splits == 0
        df = st.data_values()
        row = df[(df.data_element == "ANC1") & (df.period == "202403") & (df.org_unit == "F21")]
        assert row["value"].iloc[0] == value_of("ANC1", "202403", "F21")
        assert st.count("org_units") == 6


def test_values_of_an_unknown_element_are_refused_naming_it(dhis2_server) -> None:
    url, _ = dhis2_server
    with Store(":memory:") as st, pytest.raises(InputError) as exc:
        pull(_client(url), st, data_elements=["ANC1", "NOPE"], periods=["202401:202406"])
    msg = exc.value.message
    assert "unknown data element NOPE (18 rows)" in msg, msg
    assert "Refusal(" not in msg


def test_row_cap_splits_periods_then_org_units(dhis2_server) -> None:
    url, state = dhis2_server
    state.max_rows = 3  # 2 elements x 1 period x 3 facilities = 6 rows > 3: must split units
    with Store(":memory:") as st:
        res = pull(_client(url), st, data_elements=["ANC1", "MMS_CLIENTS"], periods=PERIODS)
        assert st.count("data_values") == 36
        assert res.splits > 0
    assert any("ou:D1;LEVEL-3" in r.replace("%3A", ":").replace("%3B", ";")
               for r in state.requests)


def test_unauthorised_is_a_clear_error(dhis2_server) -> None:
    url, _ = dhis2_server
    with Store(":memory:") as st, pytest.raises(InputError, match="401"):
        pull(Dhis2(url, token="wrong", backoff=0.001), st, data_elements=["ANC1"],
             periods=["202401"])


def test_basic_auth_works(dhis2_server) -> None:
    url, _ = dhis2_server
    c = Dhis2(url, username="admin", password="district", backoff=0.001)
    assert len(c.org_units()["organisationUnits"]) == 6


def test_server_error_is_retried_then_reported(dhis2_server) -> None:
    url, state = dhis2_server
    state.fail_500 = 2
    c = _client(url, retries=3)
    assert len(c.org_units()["organisationUnits"]) == 6  # two 500s, then success
    state.fail_500 = 10
    with pytest.raises(InputError, match="500"):
        _client(url, retries=2).org_units()
    assert state.fail_500 == 10 - 3  # one try plus two retries


def test_missing_credentials(monkeypatch) -> None:
    for var in ("DHIS2_TOKEN", "DHIS2_USERNAME", "DHIS2_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(InputError, match="DHIS2_TOKEN"):
        Dhis2.from_env("http://127.0.0.1:9")


def test_resume_skips_done_chunks(dhis2_server, tmp_path) -> None:
    url, state = dhis2_server
    ck = tmp_path / "pull.ck"
    with Store(tmp_path / "s.duckdb") as st:
        first = pull(_client(url), st, data_elements=["ANC1"], periods=PERIODS, checkpoint=ck,
                     chunk_periods=2)
        assert first.chunks_done == 3
        n = len(state.requests)
        again = pull(_client(url), st, data_elements=["ANC1"], periods=PERIODS, checkpoint=ck,
                     chunk_periods=2)
        assert again.chunks_skipped == 3 and again.chunks_done == 0
        assert not any("analytics" in r for r in state.requests[n:])
        assert st.count("data_values") == 18


def test_cli_pull_uses_environment_token(dhis2_server, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from mmsis.cli import app

    url, _ = dhis2_server
    monkeypatch.setenv("DHIS2_TOKEN", TOKEN)
    store = tmp_path / "c.duckdb"
    res = CliRunner().invoke(app, ["routine", "pull", "--url", url, "--data-elements",
                                   "ANC1,MMS_CLIENTS", "--periods", "202401:202403",
                                   "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "imported 18" in res.output
