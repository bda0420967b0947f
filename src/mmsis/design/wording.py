"""The sample-size methods of `mmsis.design` in the language in use (issue #17).

A result's ``method`` stays English (the JSON contract, the web's cache); the report, the web's
study-design page and the protocol write it in the language when shown. A method is parts
joined by "; " (the CRT's "...; unequal sizes: ...", the stepped wedge's "...; binary: ...");
each part is one catalog message. Formula and package names ("CRTSize n4props: DE = 1 + (m-1)
ICC") stay as written.
"""

from __future__ import annotations

import re

from mmsis.i18n import N_
from mmsis.i18n import gettext as _

#: The methods' fixed parts as the computations write them (English; translated when shown).
PARTS = (
    N_("z^2 p(1-p)/e^2 x DEFF, Cochran finite population correction, / response rate"),
    N_("Hayes & Bennett 1999, proportions with k"),
    N_("Hayes & Bennett 1999, rates with k"),
    N_("unequal sizes: van Breukelen 2007 Taylor approximation (clusterPower taylor)"),
    N_("unequal sizes: Eldridge 2006, 1 + ((cv^2 + 1) m - 1) ICC"),
    N_("power as clusterPower"),
    N_("two-sample t test (statsmodels TTestIndPower)"),
    N_("swDsn layout: period 1 all control, one sequence crosses over per period"),
    N_("Hussey & Hughes 2007 closed form"),
    N_("GLS variance (swCRTdesign swPwr model)"),
    N_("binary: sigma^2 = pbar(1-pbar)"),
    N_("Woertman et al. 2013 with the -1 correction (Baio et al. 2015)"),
    N_("Hooper et al. 2016: N Var(theta)/4 with ICC and CAC"),
    N_("rule of thumb for segmented regression"),
    N_("saturation guidance"),
)
_NORMAL = re.compile(r"normal approximation, (pooled|unpooled) variance under H0 \(Fleiss\)")
_SIMULATION = re.compile(r"simulation \(([\w-]+), Wald (\w+) test\)")


def _part(text: str) -> str:
    """One "; "-separated part of a method in the language in use (as written if unknown)."""
    m = _NORMAL.fullmatch(text)
    if m:
        return (_("normal approximation, pooled variance under H0 (Fleiss)")
                if m.group(1) == "pooled" else
                _("normal approximation, unpooled variance under H0 (Fleiss)"))
    m = _SIMULATION.fullmatch(text)
    if m:
        return _("simulation (%(method)s, Wald %(test)s test)") % {
            "method": m.group(1), "test": m.group(2)}
    return _(text)


def method(text: str) -> str:
    """A sample-size or power method as `mmsis.design` writes it, in the language in use."""
    return "; ".join(_part(p) for p in text.split("; ")) if text else text
