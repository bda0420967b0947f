"""Read survey microdata (CSV, Stata .dta, Parquet) into a DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mmsis.data import csvread, textio
from mmsis.errors import InputError

MAX_LISTED = 10
"""Duplicate case ids named in a refusal (the count says how many there are)."""
RECORD_INDEX = ("bidx", "midx", "hvidx", "b16")
"""Columns that make several rows of one case legitimate (births, children, household members):
with one of them the key is (caseid, that column)."""


def read_survey(path: str | Path, columns: list[str] | None = None,
                encoding: str | None = None) -> pd.DataFrame:
    """Read a survey file by its extension; Stata value labels are kept as numeric codes.

    CSV text is decoded as mmsis.data.textio says (or with ``encoding``); a ``caseid`` that
    appears on two rows (with no birth or child index beside it) is refused naming the rows.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", file=str(p))
    if p.is_dir():
        raise InputError("a folder, not a file", file=str(p))
    suffix = p.suffix.lower()
    try:
        if suffix == ".dta":
            df = pd.read_stata(p, convert_categoricals=False, columns=columns)
            with pd.io.stata.StataReader(p) as reader:  # names of the codes, for tables
                df.attrs["value_labels"] = _value_labels(reader)
        elif suffix in (".csv", ".txt"):
            with textio.utf8_file(p, encoding) as u:
                df = csvread.read_frame(u, str(p), usecols=columns, low_memory=False,
                                        dtype=None, keep_default_na=True)
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
    check_case_ids(df, str(p))
    return df


def _value_labels(reader: pd.io.stata.StataReader) -> dict[str, dict[int, str]]:
    """Each column's {code: label} from a Stata file whose label sets are named after their
    columns (as DHS recodes and pandas write them); empty when it has none."""
    out: dict[str, dict[int, str]] = {}
    for name, codes in reader.value_labels().items():
        out[name] = {int(k): str(v) for k, v in codes.items()}
    return out


def check_case_ids(df: pd.DataFrame, file: str | None = None) -> None:
    """Refuse a ``caseid`` on two rows (naming them), unless a record index column
    (RECORD_INDEX) tells the rows apart: then (caseid, index) must be unique."""
    if "caseid" not in df.columns:
        return
    key = ["caseid", *[c for c in RECORD_INDEX if c in df.columns][:1]]
    ids = df[key].astype("string").apply(lambda s: s.str.strip())
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in dup.nonzero()[0]:
        groups.setdefault(tuple(str(v) for v in ids.iloc[i]), []).append(int(i) + 1)
    listed = [f"'{' / '.join(k)}' in rows {', '.join(map(str, rows[:5]))}"
              for k, rows in list(groups.items())[:MAX_LISTED]]
    more = len(groups) - MAX_LISTED
    first = min(rows[1] for rows in groups.values())
    raise InputError(
        f"{len(groups):,} case id(s) appear on more than one row ({'; '.join(listed)}"
        f"{f'; and {more:,} more' if more > 0 else ''}); each respondent is one row"
        + (f" per {key[1]}" if len(key) > 1 else ""),
        file=file, row=first, column=" + ".join(key))
