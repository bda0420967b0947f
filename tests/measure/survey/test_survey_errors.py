"""Bad input gives an InputError that names the column (and row) at fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmsis.errors import InputError
from mmsis.measure import survey


def _df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "st": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [1.0, 2.0, 1.5, 1.0, 2.0, 2.0, 1.0, 3.0],
            "y": [1.0, 0.0, 1.0, np.nan, 0.0, 1.0, 1.0, 0.0],
            "z": [3.0, 5.0, 1.0, 2.0, 8.0, 4.0, 2.0, 2.0],
        }
    )


def test_unknown_column() -> None:
    with pytest.raises(InputError) as e:
        survey.Design(_df(), weight="w", cluster="nope")
    assert e.value.column == "nope"
    d = survey.Design(_df(), weight="w", cluster="psu", strata="st")
    with pytest.raises(InputError) as e:
        survey.mean(d, "missing_var")
    assert e.value.column == "missing_var"


def test_weights_non_numeric_and_negative() -> None:
    df = _df().astype({"w": object})
    df.loc[2, "w"] = "abc"
    with pytest.raises(InputError) as e:
        survey.Design(df, weight="w", cluster="psu")
    assert e.value.column == "w" and e.value.row == 3
    df = _df()
    df.loc[5, "w"] = -1.0
    with pytest.raises(InputError) as e:
        survey.Design(df, weight="w", cluster="psu")
    assert e.value.column == "w" and e.value.row == 6 and "negative" in str(e.value)


def test_lonely_psu_fails_naming_strata() -> None:
    df = _df()
    df.loc[df["st"] == 2, "psu"] = 3
    with pytest.raises(InputError) as e:
        survey.Design(df, weight="w", cluster="psu", strata="st")
    assert "2" in e.value.message and "one PSU" in e.value.message
    assert e.value.column == "st"
    d = survey.Design(df, weight="w", cluster="psu", strata="st", lonely_psu="certainty")
    assert np.isfinite(survey.mean(d, "z")["se"].iloc[0])


def test_all_missing_and_non_binary() -> None:
    df = _df()
    df["allna"] = np.nan
    d = survey.Design(df, weight="w", cluster="psu", strata="st")
    with pytest.raises(InputError) as e:
        survey.mean(d, "allna")
    assert e.value.column == "allna"
    with pytest.raises(InputError) as e:
        survey.proportion(d, "z")
    assert e.value.column == "z" and e.value.row == 1


def test_text_values_and_bad_options() -> None:
    df = _df().astype({"z": object})
    df.loc[4, "z"] = "n/a?"
    d = survey.Design(df, weight="w", cluster="psu", strata="st")
    with pytest.raises(InputError) as e:
        survey.mean(d, "z")
    assert e.value.column == "z" and e.value.row == 5
    with pytest.raises(InputError):
        survey.Design(_df(), weight="w", cluster="psu", lonely_psu="sometimes")
    with pytest.raises(InputError):
        survey.mean(survey.Design(_df(), weight="w", cluster="psu"), "y", level=1.5)


def test_clusters_not_nested_in_strata() -> None:
    df = _df()
    df.loc[4, "psu"] = 1  # psu 1 now in strata 1 and 2
    with pytest.raises(InputError) as e:
        survey.Design(df, weight="w", cluster="psu", strata="st")
    assert "nest" in e.value.message
    survey.Design(df, weight="w", cluster="psu", strata="st", nest=True, lonely_psu="adjust")


def test_fpc_errors() -> None:
    df = _df()
    df["f"] = 1  # one PSU in the population but two sampled
    with pytest.raises(InputError) as e:
        survey.Design(df, weight="w", cluster="psu", strata="st", fpc="f")
    assert e.value.column == "f"
    with pytest.raises(InputError):
        survey.Design(df, cluster=["psu", "w"], fpc="f")
