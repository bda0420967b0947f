"""The impact model's words for people, in the language in use (issue #17).

The engine stores its pathway labels, pathway conventions and the anchors' conversion notes in
English (CSV, JSON and the web's cache read the same words in every language); the report, the
web and the command line write them in the language when shown, through these functions. Each
sentence is one catalog message with named placeholders, the numbers in the locale's format.
"""

from __future__ import annotations

import re

from mmsis.i18n import N_
from mmsis.i18n import gettext as _
from mmsis.present import format as fmt

#: The pathways' labels as the engine stores them (English; translated where shown).
PATHWAY_LABELS = {
    "neonatal_preterm": N_("neonatal deaths through preterm birth (Katz 2013 categories: "
                           "preterm-AGA, preterm-SGA)"),
    "neonatal_sga": N_("neonatal deaths through SGA (Katz 2013 categories: term-SGA, "
                       "preterm-SGA)"),
    "neonatal_direct": N_("neonatal deaths, direct RR (pooled, or both sexes' RRs)"),
    "stillbirth": N_("stillbirths"),
    "lbw": N_("low birthweight (YLD per LBW birth averted; its deaths are carried by the "
              "preterm/SGA categories)"),
}

_SWITCH_BIRTH = "switch: impact.neonatal_pathway birth_outcomes"
_STILLBIRTH = re.compile(r"(.+) \(switch: impact\.daly\.include_stillbirths\)")
_LBW = re.compile(r"(\S+) discounted YLD per LBW birth averted \(impact\.daly\.yld_per_lbw_birth\)")
_FEMALE = re.compile(r"female share (\S+): Smith 2017 female 0\.85, male 1\.06")
_NO_FX = re.compile(r"not converted: no exchange rate for (\d{4})")
_NO_DEFLATOR = re.compile(r"not converted: no GDP deflator for (\d{4}) and (\d{4})")
_CONVERTED = re.compile(r"US\$ (\d{4}) x (\S+) (\w+)/US\$ x deflator (\d{4})/(\d{4}) = (\S+)"
                        r"(?: \((.+)\))?")


def _number(text: str) -> str:
    """A number the engine wrote with %g, in the locale's format (as written if not one)."""
    try:
        return fmt.number(float(text), 4)
    except ValueError:
        return text


def convention(text: str) -> str | None:
    """A pathway's convention as the engine stores it, in words in the language in use (the
    scenario switches named as the form names them); None when `text` is not one."""
    if text == _SWITCH_BIRTH:
        return _("Katz et al. 2013 overlapping categories; counted when neonatal deaths go "
                 "through preterm and small-for-gestational-age births")
    if text == "Keats 2019 pooled RR":
        return _("%(convention)s; counted when neonatal deaths go through a direct effect") % {
            "convention": _("Keats et al. 2019 pooled relative risk")}
    m = _FEMALE.fullmatch(text)
    if m:
        return _("%(convention)s; counted when neonatal deaths go through a direct effect") % {
            "convention": _("female share %(share)s: Smith et al. 2017 relative risks, female "
                            "%(female)s, male %(male)s") % {
                "share": _number(m.group(1)), "female": fmt.number(0.85, 3),
                "male": fmt.number(1.06, 3)}}
    m = _STILLBIRTH.fullmatch(text)
    if m:
        return _("%(rule)s (switch: Count stillbirths averted)") % {"rule": _(m.group(1))}
    m = _LBW.fullmatch(text)
    if m:
        return _("%(years)s discounted years lived with disability per low-birthweight birth "
                 "averted (0 = off)") % {"years": _number(m.group(1))}
    return None


def conversion(text: str) -> str | None:
    """An anchor's conversion note as the engine stores it, in words in the language in use;
    None when `text` is not one."""
    if text == "scenario currency":
        return _("in the scenario's currency")
    m = _NO_FX.fullmatch(text)
    if m:
        return _("not converted: no exchange rate for %(year)s") % {"year": m.group(1)}
    m = _NO_DEFLATOR.fullmatch(text)
    if m:
        return _("not converted: no GDP deflator for %(year)s and %(scenario_year)s") % {
            "year": m.group(1), "scenario_year": m.group(2)}
    m = _CONVERTED.fullmatch(text)
    if m:
        note = _("US$ of %(year)s x %(rate)s %(currency)s per US$ x GDP deflator "
                 "%(scenario_year)s/%(year)s = %(factor)s") % {
            "year": m.group(1), "rate": _number(m.group(2)), "currency": m.group(3),
            "scenario_year": m.group(4), "factor": _number(m.group(6))}
        return f"{note} ({m.group(7)})" if m.group(7) else note
    return None


def composed(text: str) -> str | None:
    """A pathway label, convention or conversion note in the language in use; None when
    `text` is none of them."""
    if text in PATHWAY_LABELS.values():
        return _(text)
    return convention(text) or conversion(text)
