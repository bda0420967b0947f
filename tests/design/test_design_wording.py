"""The sample-size methods of mmsis.design in French and Portuguese when shown (issue #17);
the results keep their English method (the JSON contract)."""

from __future__ import annotations

import pytest

from mmsis import i18n
from mmsis.design.crt import crt_clusters
from mmsis.design.individual import individual_proportions
from mmsis.design.survey import survey_sample_size
from mmsis.design.wording import method


@pytest.mark.parametrize("lang", ["fr", "pt"])
def test_every_part_of_a_method_is_written_in_the_language(lang: str) -> None:
    results = [survey_sample_size(0.5, 0.05, deff=2.0),
               individual_proportions(0.3, 0.2),
               crt_clusters("proportion", pe=0.3, pc=0.2, m=20, icc=0.05, cv=0.4)]
    for res in results:
        english = res.method
        with i18n.language(lang):
            shown = method(english)
        assert res.method == english  # stored English
        for part, written in zip(english.split("; "), shown.split("; "), strict=True):
            if part.startswith("CRTSize"):  # a package's formula name stays as written
                assert written == part
            else:
                assert written != part, (lang, part)
    with i18n.language("fr"):
        assert method("normal approximation, pooled variance under H0 (Fleiss)") \
            == "approximation normale, variance commune sous H0 (Fleiss)"
        assert method("simulation (lmm-fast, Wald z test)") \
            == "simulation (lmm-fast, test de Wald z)"
