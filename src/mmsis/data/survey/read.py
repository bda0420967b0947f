"""Read survey microdata (CSV, Stata .dta, Parquet) into a DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.errors import InputError


def read_survey(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a survey file by its extension; Stata value labels are kept as numeric codes."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", file=str(p))
    suffix = p.suffix.lower()
    try:
        if suffix == ".dta":
            df = pd.read_stata(p, convert_categoricals=False, columns=columns)
        elif suffix in (".csv", ".txt"):
            df = pd.read_csv(p, usecols=columns, low_memory=False)
        elif suffix == ".parquet":
            df = pd.read_parquet(p, columns=columns)
        else:
            raise InputError(
                f"unsupported survey file type '{suffix}' (use .csv, .dta or .parquet)",
                file=str(p),
            )
    except InputError:
        raise
    except ValueError as exc:  # e.g. usecols naming absent columns
        raise InputError(str(exc), file=str(p)) from exc
    except Exception as exc:
        raise InputError(f"cannot read the file: {exc}", file=str(p)) from exc
    return df
