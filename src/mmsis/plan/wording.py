"""The planning results' stored English words for people, in the language in use (issue #17).

The measured values' sources (``value_source``, computed once by the web for every language)
and the agenda's rating bases (``rating_basis``, the XLSX's ``basis_*`` columns) are stored in
English; the report, the XLSX and ``mmsis plan assess`` write them in the language when shown.
Each sentence is one catalog message with named placeholders; ids inside become labels.
"""

from __future__ import annotations

import re

from mmsis.i18n import N_, gettext_words
from mmsis.i18n import gettext as _
from mmsis.present.labels import default_labels

#: Bases and sources written without a value inside (English; translated where shown).
FIXED = (
    N_("share of key results still open in its pillar(s)"),
    N_("equity is an outcome"), N_("coverage/adherence can be disaggregated"),
    N_("no equity outcome"),
    N_("share of its data sources already in hand (new collection 0.5)"),
    N_("DHIS2 routine data, mmsis.measure.routine (national, latest quarter)"),
    N_("DHIS2 routine data: facilities reporting any MMS client / facilities reporting"),
)
_PRIORITY = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}

_SURVEY = re.compile(r"household survey \(design-based\), mmsis\.measure\.survey, (.+?)"
                     r"(?:( \(tablets consumed / received\))|, equity gap (.+))?")
_FIELD = re.compile(r"field submissions of (\S+) \((.+); n=(\d+)\)"
                    r"(; tablets expected = the 180 of the regimen "
                    r"\(assumption: exit interview\))?")
_MEASURES_OPEN = re.compile(r"measures open (.+)")
_BANK = re.compile(r"bank priority (high|medium|low); (?:required key results open in (.+)|"
                   r"(no required key result blocked \(x0\.6\)))")
_DESIGN = re.compile(r"design (\w+) \(plan/data/agenda_defaults\.yaml\)")


def _ids(text: str, kind: str | None = None) -> str:
    """A list of ids ("a, b") as their labels."""
    lab = default_labels()
    return ", ".join(lab.find(i.strip(), kind) or lab.label(i.strip())
                     for i in text.split(","))


def value_source(text: str) -> str | None:
    """A measured value's source in the language in use; None when `text` is not one."""
    m = _SURVEY.fullmatch(text)
    if m:
        values = {"denominator": _(m.group(1))}
        if m.group(2):
            return _("household survey (design-based), mmsis.measure.survey, %(denominator)s "
                     "(tablets consumed / received)") % values
        if m.group(3):  # "richest - poorest": each catalog word translated
            return _("household survey (design-based), mmsis.measure.survey, %(denominator)s, "
                     "equity gap %(comparison)s") % {
                **values, "comparison": gettext_words(m.group(3))}
        return _("household survey (design-based), mmsis.measure.survey, %(denominator)s") \
            % values
    m = _FIELD.fullmatch(text)  # `mmsis field import --plan`
    if m:
        values = {"form": m.group(1), "source": m.group(2), "n": m.group(3)}
        if m.group(4):
            return _("field submissions of %(form)s (%(source)s; n=%(n)s); tablets expected = "
                     "the 180 of the regimen (assumption: exit interview)") % values
        return _("field submissions of %(form)s (%(source)s; n=%(n)s)") % values
    return None


def basis(text: str) -> str | None:
    """An agenda rating's basis in the language in use; None when `text` is not one."""
    m = _MEASURES_OPEN.fullmatch(text)
    if m:
        return _("measures open key results: %(key_results)s") % {
            "key_results": _ids(m.group(1), "key_result")}
    m = _BANK.fullmatch(text)
    if m:
        priority = _(_PRIORITY[m.group(1)])
        if m.group(2):
            return _("question bank priority %(priority)s; required key results open in "
                     "%(pillars)s") % {"priority": priority,
                                       "pillars": _ids(m.group(2), "pillar")}
        return _("question bank priority %(priority)s; no required key result blocked "
                 "(x0.6)") % {"priority": priority}
    m = _DESIGN.fullmatch(text)
    if m:
        return _("design %(design)s (plan/data/agenda_defaults.yaml)") % {
            "design": default_labels().find(m.group(1), "design") or _(m.group(1))}
    return None


def composed(text: str) -> str | None:
    """A stored source or basis in the language in use; None when `text` is neither."""
    if text in FIXED:
        return _(text)
    return value_source(text) or basis(text)
