"""The programme's coverage cascade: one definition (supplement, reference period, labels,
denominator in words) for the dashboard, the report and `mmsis survey cascade --store`."""

from __future__ import annotations

import pandas as pd

from mmsis.i18n import gettext as _

CASCADE_SUPPLEMENT = "MMS"
"""The supplement the programme cascade counts (the DHS profile's supplement type code)."""
CASCADE_PERIOD_MONTHS = 24
"""Women with a birth in the past 24 months: the denominator of every programme cascade step
(status: convention, the DHS 'last two years' tables; the DHS profile's own default is 60)."""


def denominator_words(period_months: int = CASCADE_PERIOD_MONTHS) -> str:
    """The cascade's denominator in words (what "all women" means in every view)."""
    return _("women with a birth in the past %(months)s months") % {"months": period_months}


def with_words(table: pd.DataFrame, supplement: str = CASCADE_SUPPLEMENT,
               period_months: int = CASCADE_PERIOD_MONTHS) -> pd.DataFrame:
    """A cascade table (`mmsis.measure.survey.cascade.cascade`) with step labels naming the
    supplement counted and a `denominator` column in words."""
    out = table.copy()
    if supplement.lower() != "any":
        out["label"] = out["label"].str.replace("MMS/IFA", supplement, regex=False)
    names = dict(zip(out["step"], out["label"], strict=False))
    prefix = "previous step: "
    out["denominator"] = [
        f"women with {names.get(str(of)[len(prefix):], str(of)[len(prefix):])} "
        f"({denominator_words(period_months)})" if str(of).startswith(prefix)
        else denominator_words(period_months) for of in out["of"]]
    return out


def programme_cascade(survey: pd.DataFrame, *, supplement: str = CASCADE_SUPPLEMENT,
                      period_months: int = CASCADE_PERIOD_MONTHS,
                      file: str | None = None) -> pd.DataFrame:
    """The programme's coverage cascade of one survey wave (DHS profile, design-based), each
    step as a share of `denominator_words()` and of the previous step, labels in words."""
    from mmsis.data.survey.profile import load_profile
    from mmsis.data.survey.recode import recode
    from mmsis.measure.survey.cascade import cascade

    rec = recode(survey, load_profile("dhs"), supplement=supplement,
                 period_months=period_months, file=file)
    return with_words(cascade(rec), supplement, period_months)
