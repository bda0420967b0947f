"""The programme's coverage cascade: one definition (supplement, reference period, labels,
denominator in words) for the dashboard, the report and `mmsis survey cascade --store`, and
one rule for the part of the country it covers (`respondents_within`: a user limited to a
subtree gets the respondents of its districts, on the dashboard as in the report)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from mmsis.i18n import gettext as _

CASCADE_SUPPLEMENT = "MMS"
"""The supplement the programme cascade counts (the DHS profile's supplement type code)."""
CASCADE_PERIOD_MONTHS = 24
"""Women with a birth in the past 24 months: the denominator of every programme cascade step
(status: convention, the DHS 'last two years' tables; the DHS profile's own default is 60)."""


SCOPE_COLUMN = "district_id"
"""The survey column naming each respondent's district (an org-unit id of the hierarchy)."""


def respondents_within(survey: pd.DataFrame, unit_paths: Mapping[str, str],
                       scope: str | None) -> pd.DataFrame:
    """The respondents whose district (`SCOPE_COLUMN`, an org-unit id; ``unit_paths`` maps ids
    to paths such as ``/C/R1/D1``) lies in the subtree at path ``scope``, compared by whole path
    segments (``/C/R1/D1`` holds ``/C/R1/D1/F1``, never ``/C/R1/D10``). Every respondent without
    a scope; none when the survey has no district column or names no known district: the
    survey cannot say which part of the country a respondent lives in."""
    if not scope:
        return survey
    if not len(survey) or SCOPE_COLUMN not in survey.columns:
        return survey.iloc[0:0].reset_index(drop=True)
    root = scope.rstrip("/")
    paths = survey[SCOPE_COLUMN].astype(str).map(dict(unit_paths)).fillna("").astype(str)
    inside = (paths == root) | paths.str.startswith(root + "/")
    return survey[inside].reset_index(drop=True)


def scope_words(scope_name: str | None) -> str:
    """Which respondents a cascade covers, in words (the whole survey, or a part's districts)."""
    if not scope_name:
        return _("all respondents of the survey (the whole country)")
    return _("respondents of the districts in %(place)s only") % {"place": scope_name}


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
                      file: str | None = None, unit_paths: Mapping[str, str] | None = None,
                      scope: str | None = None, place: str | None = None) -> pd.DataFrame:
    """The programme's coverage cascade of one survey wave (DHS profile, design-based), each
    step as a share of `denominator_words()` and of the previous step, labels in words; with
    ``scope`` (an org-unit path) and ``unit_paths``, of the respondents of its districts only
    (`respondents_within`; InputError naming the part, ``place`` or else its path, when
    there are none)."""
    from mmsis.data.survey.profile import load_profile
    from mmsis.data.survey.recode import recode
    from mmsis.errors import InputError
    from mmsis.measure.survey.cascade import cascade

    if scope:
        survey = respondents_within(survey, unit_paths or {}, scope)
        if survey.empty:
            raise InputError(f"no survey respondents of districts in {place or scope} (the "
                             f"survey's '{SCOPE_COLUMN}' names none of them)", file=file,
                             field=SCOPE_COLUMN)
    rec = recode(survey, load_profile("dhs"), supplement=supplement,
                 period_months=period_months, file=file)
    return with_words(cascade(rec), supplement, period_months)
