"""Guards for `mmsis survey estimate`: special answer codes, design-effect choice and reasons.

Survey files code "don't know" and "missing" answers as numbers (DHS: 8/9, 98/99, 998/999);
averaged as values they bias a mean (m14 = 98 "don't know" is not 98 antenatal visits). With a
profile the codes its variables declare become missing values; without one, codes that stand
above every other value trigger a warning. The design effect against simple random sampling
without replacement (``wor``, R's ``deff=TRUE``) needs a population size: without an fpc the
estimate falls back to with replacement (``wr``), and a design effect that cannot be computed
says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmsis.errors import InputError

#: Codes surveys commonly use for "don't know", "missing", "not applicable" (DHS Recode Manual).
SPECIAL_CODES = (7, 8, 9, 97, 98, 99, 997, 998, 999, 9997, 9998, 9999)


@dataclass
class CodeReport:
    """What happened to special codes in one variable."""

    column: str
    dropped: dict[float, int] = field(default_factory=dict)  # code -> rows made missing
    suspicious: dict[float, int] = field(default_factory=dict)  # code -> rows kept, warned

    def messages(self, profile: str | None) -> list[str]:
        """Plain warnings for the user (empty when nothing special was found)."""
        out = []
        if self.dropped:
            codes = ", ".join(f"{_code(c)} ({n} rows)" for c, n in self.dropped.items())
            out.append(f"{self.column}: special codes {codes} left out as missing answers "
                       f"(profile {profile}).")
        if self.suspicious:
            codes = ", ".join(f"{_code(c)} ({n} rows)" for c, n in self.suspicious.items())
            out.append(f"{self.column}: values {codes} look like survey codes for \"don't know\" "
                       "or missing, and are averaged as numbers; pass --profile dhs (or mics), "
                       "or recode them to empty, if they are.")
        return out


def _code(c: float) -> str:
    return str(int(c)) if float(c).is_integer() else f"{c:g}"


def profile_codes(profile: object | None, column: str) -> list[float]:
    """The "don't know" and "missing" codes a profile declares for this survey column."""
    if profile is None:
        return []
    for spec in getattr(profile, "variables", {}).values():
        if spec.column == column:
            return [*spec.dont_know, *spec.missing]
    return []


def apply_codes(df: pd.DataFrame, column: str, profile: object | None = None) -> CodeReport:
    """Make a profile's special codes missing in ``df[column]`` (in place); warn about codes
    that look special when the profile does not declare them."""
    report = CodeReport(column)
    if column not in df.columns:
        return report
    values = pd.to_numeric(df[column], errors="coerce")
    declared = profile_codes(profile, column)
    if declared:
        hit = values.isin(declared)
        for c in declared:
            n = int((values == c).sum())
            if n:
                report.dropped[float(c)] = n
        if hit.any():
            df[column] = values.mask(hit)
        return report
    present = values.dropna()
    if present.empty or not np.allclose(present, present.round()):
        return report
    regular = present[~present.isin(SPECIAL_CODES)]
    if regular.empty:
        return report
    top = float(regular.max())
    for c in SPECIAL_CODES:
        n = int((present == c).sum())
        # a code is suspicious when it stands clear above every answer that is not a code
        if n and top < c / 2:
            report.suspicious[float(c)] = n
    return report


def choose_deff(deff: str | None, fpc: list[str] | None) -> str:
    """``wr`` unless an fpc gives the population size; ``wor`` without one is refused."""
    if deff is None:
        return "wor" if fpc else "wr"
    if deff not in ("wor", "wr"):
        raise InputError(f"deff must be 'wor' or 'wr', got {deff!r}", field="deff")
    if deff == "wor" and not fpc:
        raise InputError(
            "a design effect against sampling without replacement (wor) needs the population "
            "size: give --fpc, or use --deff wr (the default without --fpc)", field="deff")
    return deff


def deff_reasons(res: pd.DataFrame, data: pd.DataFrame, var: str, by: list[str] | None,
                 deff: str) -> list[str]:
    """Why each blank or infinite design effect could not be computed, one line per group."""
    if "deff" not in res:
        return []
    out = []
    for _, row in res.iterrows():
        d = row["deff"]
        if d is not None and np.isfinite(d):
            continue
        group = ", ".join(f"{c} = {row[c]}" for c in (by or []) if c in res) or "overall"
        if not np.isfinite(row.get("se", np.nan)):
            why = ("the standard error itself cannot be computed (a stratum has a single PSU "
                   "in this group: see --lonely-psu)")
        else:
            sub = data
            for c in by or []:
                if c in data and c in res:
                    sub = sub[sub[c] == row[c]]
            vals = pd.to_numeric(sub[var], errors="coerce").dropna() if var in sub else None
            if vals is not None and vals.nunique() <= 1:
                why = ("every answer in this group is the same, so simple random sampling "
                       "would have no variance to compare with")
            elif deff == "wor":
                why = ("the weights sum to no more than the number of respondents, so the "
                       "population size they imply is too small for wor; use --deff wr")
            else:
                why = "the variance under simple random sampling is zero"
        out.append(f"design effect ({group}) not computed: {why}")
    return out


__all__ = ["SPECIAL_CODES", "CodeReport", "apply_codes", "choose_deff", "deff_reasons",
           "profile_codes"]
