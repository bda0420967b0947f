"""Bad input raises InputError naming the argument at fault."""

from __future__ import annotations

import numpy as np
import pytest

from mmsis.design import (
    crt_clusters,
    crt_power,
    simulate_power,
    stepped_wedge_power,
    survey_sample_size,
    sw_layout,
    woertman,
)
from mmsis.errors import InputError


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: survey_sample_size(1.2, 0.05), "p"),
        (lambda: survey_sample_size(0.3, 0.05, icc=0.1), "take"),
        (lambda: survey_sample_size(0.3, 1.0, relative=True), "margin"),
        (lambda: survey_sample_size(0.3, 0.05, nonresponse=1.0), "nonresponse"),
        (lambda: crt_clusters("proportion", pe=0.0, pc=0.2, m=10, icc=0.1), "pe"),
        (lambda: crt_clusters("proportion", pe=0.2, pc=0.2, m=10, icc=0.1), "pe"),
        (lambda: crt_clusters("proportion", pe=0.3, pc=0.2, m=10, icc=1.0), "icc"),
        (lambda: crt_clusters("proportion", pe=0.3, pc=0.2, m=10, icc=-0.1), "icc"),
        (lambda: crt_clusters("mean", difference=1, total_variance=1, m=10, icc=0.1,
                              power=0.01), "power"),
        (lambda: crt_clusters("rate", rate1=0.1, rate0=0.1, person_time=10, k=0.2), "rate1"),
        (lambda: crt_clusters("odds", m=10), "outcome"),  # type: ignore[arg-type]
        (lambda: crt_power("mean", 1, difference=1, total_variance=1, m=10, icc=0.1),
         "clusters"),
        (lambda: stepped_wedge_power(sequences=[2, 2], n=10, p0=0.3, p1=1.3, tau=0.01), "p1"),
        (lambda: stepped_wedge_power(sequences=[2, 2], n=10, p0=0.3, p1=0.3, tau=0.01), "p1"),
        (lambda: stepped_wedge_power(sequences=[2, 2], n=10, p0=0.3, p1=0.4, icc=1.0), "icc"),
        (lambda: stepped_wedge_power(sequences=[2, 2], n=10, p0=0.3, p1=0.4, tau=0.6), "tau"),
        (lambda: stepped_wedge_power(np.zeros((4, 3)), n=10, p0=0.3, p1=0.4, tau=0.1),
         "design"),
        (lambda: stepped_wedge_power(np.array([[0, 1, 1.0], [0, 1, 1]]), n=10, p0=0.3, p1=0.4,
                                     tau=0.1, gamma=0.01), "design"),
        (lambda: stepped_wedge_power(np.array([[0, 1, 1.0], [0, 1, 1]]), n=10, p0=0.3, p1=0.4,
                                     tau=0.1), "design"),
        (lambda: stepped_wedge_power(sequences=[2, 2], n=10, mu0=0, mu1=1, tau=0.1), "sigma"),
        (lambda: woertman(10, 1, 1, 1, 0.05), "k"),
        (lambda: woertman(10, 4, 1, 1, 1.0), "rho"),
        (lambda: sw_layout(3, 4), "districts"),
        (lambda: simulate_power(sequences=[2, 2], n=10, p0=0.3, p1=0.4, tau=0.01, n_reps=5),
         "n_reps"),
    ],
)
def test_bad_input_names_the_argument(call, field) -> None:
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field


def test_individual_proportions_refuses_empty_arms() -> None:
    import pytest

    from mmsis.design import individual_proportions
    from mmsis.errors import InputError

    with pytest.raises(InputError) as err:
        individual_proportions(0.2, 0.3, n_per_arm=0)
    assert err.value.field == "n_per_arm"
