"""Labels for ids (knowledge base, parameters, outputs, store names) and readable tables."""

from __future__ import annotations

import pandas as pd
import pytest

from mmsis.present.labels import Labels, default_labels, humanise, label, store_names
from mmsis.present.tables import Column, readable, text


@pytest.mark.parametrize(("id", "kind", "want"), [
    ("scale_up", None, "Scale up"),
    ("policy", "pillar", "Policy and governance"),
    ("rr.preterm", None, "Relative risk of preterm birth, MMS vs IFA"),
    ("lbw_averted", None, "Low-birthweight births averted"),
    ("dalys_averted_per_100k_pregnancies", None, "DALYs averted per 100,000 pregnancies"),
    ("internal:anc4_le_anc1", None, "ANC4 above ANC1"),
    ("introduce_supply_stockouts", None, "Few MMS stock-outs in pilot facilities"),
    ("mms.price_per_tablet", "parameter", "MMS price per tablet"),
])
def test_labels_from_the_knowledge_base(id: str, kind: str | None, want: str) -> None:
    assert label(id, kind) == want


def test_question_label_is_its_text() -> None:
    text_ = label("q_demand_cascade_losses")
    assert text_.startswith("At which step of the coverage cascade")


def test_unknown_id_is_written_as_words() -> None:
    assert humanise("some_new_thing") == "Some new thing"
    assert label("some_new_thing") == "Some new thing"
    assert default_labels().find("some_new_thing") is None


def test_with_id_for_ids_a_user_types_back() -> None:
    lab = default_labels()
    assert lab.with_id("scale_up", "phase") == "Scale up (scale_up)"
    assert lab.with_id("xyz") == "xyz"


def test_store_names_win_for_org_units_and_elements() -> None:
    from mmsis.data.store import Store

    with Store(":memory:") as store:
        store.con.execute("INSERT INTO org_units (id, name, level, path) VALUES "
                          "('ou1', 'Northern Region', 1, '/ou1'), ('ou2', ' ', 1, '/ou2')")
        store.con.execute("INSERT INTO data_elements (id, name) VALUES "
                          "('IFA_CLIENTS', 'ANC clients given IFA')")
        lab = Labels.from_store(store)
        assert lab.label("ou1", "org_unit") == "Northern Region"
        assert lab.label("IFA_CLIENTS") == "ANC clients given IFA"
        # a blank name is no name: the id is written as words
        assert store_names(store)["org_unit"] == {"ou1": "Northern Region"}


def test_units_of_outputs() -> None:
    lab = default_labels()
    assert lab.unit("lbw_averted") == "count"
    assert lab.unit("cost_per_daly") == "money"
    assert lab.unit("nope") == ""


def test_readable_table() -> None:
    df = pd.DataFrame({"pillar": ["policy"], "phase": ["scale_up"], "share": [0.7857],
                       "est": [0.79], "lo": [0.77], "hi": [0.81], "p": [0.0],
                       "period": ["2024Q4"], "cost": [2.834e6], "n": [17010.2]})
    out = readable(df, [
        Column("pillar", "Pillar", "label", "pillar"),
        Column("phase", "Phase", "label_id", "phase"),
        Column("share", "Met", "percent"),
        Column(("est", "lo", "hi"), "Coverage (95% CI)", "ci_percent"),
        Column("p", "p", "p"),
        Column("period", "When", "period"),
        Column("cost", "Cost", "money"),
        Column("n", "Births", "count"),
    ])
    assert out.iloc[0].tolist() == [
        "Policy and governance", "Scale up (scale_up)", "79%", "79% (77-81%)", "p < 0.001",
        "Oct-Dec 2024", "USD\u00a02,834,000", "17,010"]
    assert list(out.columns)[0] == "Pillar"


def test_value_column_formats_by_the_ids_unit() -> None:
    df = pd.DataFrame({"measure": ["lbw_averted", "cost_per_daly"], "central": [7730.28, 237.45]})
    out = readable(df, [Column("measure", "Measure", "label", "output"),
                        Column("central", "Central", "value", unit_from="measure")])
    assert out["Central"].tolist() == ["7,730", "USD\u00a0237"]
    assert out["Measure"].tolist() == ["Low-birthweight births averted", "Cost per DALY averted"]


def test_text_never_scientific() -> None:
    assert text(1.701e4) == "17,010"
    assert text(2.96823e-05) == "0.00002968"
    assert text(2024) == "2024"
    assert text(236300) == "236,300"
    assert text(True) == "yes"


def test_unknown_column_kind_refused() -> None:
    with pytest.raises(ValueError):
        Column("a", "A", "nonsense")


def test_formatter_is_offered_to_page_templates() -> None:
    from mmsis.web.app import _templates

    out = _templates().from_string(
        '{{ 0.7857|percent }}|{{ "2024Q4"|period }}|{{ "scale_up"|label }}|'
        '{{ 2834000|money("USD") }}|{{ 0.0|p_value }}|{{ 17010.4|count }}').render()
    assert out == "79%|Oct-Dec 2024|Scale up|USD\u00a02,834,000|p &lt; 0.001|17,010"
