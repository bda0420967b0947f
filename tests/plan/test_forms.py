"""XLSForms: each converts with pyxform (and passes ODK Validate where Java is present), the
skip logic refers to real fields and real choices, and the modules follow the agenda."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from mmsis.plan.forms import (
    CHOICES,
    WEINER_SCALES,
    build_forms,
    household_survey,
    modules_for_outcomes,
)

REF = re.compile(r"\$\{(\w+)\}\s*(=|!=)\s*'([^']*)'")


@pytest.fixture(scope="module")
def forms_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("forms")
    build_forms(out)
    return out


def _sheet(path: Path, name: str) -> list[dict[str, object]]:
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    return [dict(zip(head, r, strict=False)) for r in rows[1:]]


@pytest.mark.parametrize(
    "form_id", ["mms_household_exit", "mms_facility_readiness", "mms_stock_card_audit"]
)
def test_converts_to_a_valid_xform(forms_dir: Path, form_id: str) -> None:
    validate = shutil.which("java") is not None  # ODK Validate ships with pyxform, needs Java
    result = convert(str(forms_dir / f"{form_id}.xlsx"), validate=validate)
    root = ET.fromstring(result.xform)
    ns = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}
    # the three languages are declared in the itext translations
    langs = {t.get("lang") for t in root.iter("{http://www.w3.org/2002/xforms}translation")}
    assert langs == {"English (en)", "French (fr)", "Portuguese (pt)"}
    assert root.find("h:head/x:model", ns) is not None


@pytest.mark.parametrize(
    "form_id", ["mms_household_exit", "mms_facility_readiness", "mms_stock_card_audit"]
)
def test_skip_logic_refers_to_existing_fields_and_choices(forms_dir: Path, form_id: str) -> None:
    path = forms_dir / f"{form_id}.xlsx"
    survey = _sheet(path, "survey")
    choices = _sheet(path, "choices")
    list_of = {
        r["name"]: str(r["type"]).split()[1]
        for r in survey
        if str(r["type"]).startswith(("select_one", "select_multiple"))
    }
    values: dict[str, set[str]] = {}
    for c in choices:
        values.setdefault(str(c["list_name"]), set()).add(str(c["name"]))
    names = {r["name"] for r in survey}
    checked = 0
    for r in survey:
        for col in ("relevance", "constraint", "calculation"):
            expr = r.get(col) or ""
            for ref in re.findall(r"\$\{(\w+)\}", str(expr)):
                assert ref in names, f"{r['name']}.{col} refers to unknown field {ref}"
            for field, _op, val in REF.findall(str(expr)):
                if field in list_of and val:
                    assert val in values[list_of[field]], f"{r['name']}: {field}='{val}'"
                    checked += 1
    assert checked >= 1


@pytest.mark.parametrize(
    "form_id", ["mms_household_exit", "mms_facility_readiness", "mms_stock_card_audit"]
)
def test_every_label_is_in_english_french_and_portuguese(forms_dir: Path, form_id: str) -> None:
    path = forms_dir / f"{form_id}.xlsx"
    for sheet in ("survey", "choices"):
        for r in _sheet(path, sheet):
            if r.get("label::English (en)"):
                assert r.get("label::French (fr)"), (sheet, r.get("name"))
                assert r.get("label::Portuguese (pt)"), (sheet, r.get("name"))
    for r in _sheet(path, "survey"):
        for kind in ("constraint_message", "hint"):
            if r.get(f"{kind}::English (en)"):
                assert r.get(f"{kind}::French (fr)"), r["name"]
                assert r.get(f"{kind}::Portuguese (pt)"), r["name"]
    rows = {r["name"]: r for r in _sheet(path, "survey") if r.get("name")}
    if "consent" in rows:
        assert rows["consent"]["label::Portuguese (pt)"] == "Aceita participar nesta entrevista?"


def test_a_new_label_without_portuguese_is_refused() -> None:
    from mmsis.plan.forms import XLSForm

    form = XLSForm("x", ("X", "X"))
    with pytest.raises(ValueError, match="no Portuguese wording"):
        form.add("text", "new_q", "A question nobody translated", "Une question")


def test_household_skip_logic_is_the_intended_one(forms_dir: Path) -> None:
    rows = {
        r["name"]: r
        for r in _sheet(forms_dir / "mms_household_exit.xlsx", "survey")
        if not str(r["type"]).startswith("end_")
    }
    assert rows["main"]["relevance"] == "${consent} = 'yes'"
    assert rows["facility"]["relevance"] == "${respondent_type} = 'exit'"
    assert rows["supp_type"]["relevance"] == "${received_supp} = 'yes'"
    assert rows["reasons_missed"]["relevance"] == "${taken_yesterday} = 'no'"
    assert rows["tabs_left"]["relevance"] == "${bottle_seen} = 'yes'"
    assert "${supp_type} = 'mms'" in str(rows["aim_group"]["relevance"])
    # consumed cannot exceed received
    assert "<= ${tabs_received}" in str(rows["tabs_consumed"]["constraint"])
    # the XForm carries the relevance on the bind of the nested field
    root = ET.fromstring(convert(str(forms_dir / "mms_household_exit.xlsx")).xform)
    binds = {
        b.get("nodeset", "").rsplit("/", 1)[-1]: b
        for b in root.iter("{http://www.w3.org/2002/xforms}bind")
    }
    relevant = binds["tabs_left"].get("relevant", "").split()
    assert relevant == ["/data/main/bottle_seen", "=", "'yes'"]
    assert binds["consent"].get("required") == "true()"


def test_weiner_scales_four_items_five_points_two_languages(forms_dir: Path) -> None:
    rows = _sheet(forms_dir / "mms_household_exit.xlsx", "survey")
    for scale in ("aim", "iam", "fim"):
        items = [r for r in rows if re.fullmatch(fr"{scale}_\d", str(r["name"]))]
        assert len(items) == 4 == len(WEINER_SCALES[scale])
        assert all(r["type"] == "select_one agree5" for r in items)
        assert all(r["label::French (fr)"] for r in items)
        assert all(r["label::Portuguese (pt)"] for r in items)
        calc = next(r for r in rows if r["name"] == f"{scale}_score")["calculation"]
        assert "div 4" in str(calc)
    assert [c[0] for c in CHOICES["agree5"]] == ["1", "2", "3", "4", "5"]


def test_scale_score_is_the_item_mean() -> None:
    # Evaluate the XPath calculation with a tiny substitution: mean of 4, 5, 3, 4 is 4.
    form = household_survey(["aim"])
    calc = next(r for r in form.rows if r["name"] == "aim_score")["calculation"]
    expr = calc.split(",", 1)[1].rsplit(",", 1)[0]
    for i, v in enumerate([4, 5, 3, 4], start=1):
        expr = expr.replace(f"number(${{aim_{i}}})", str(v))
    assert eval(expr.replace("div", "/")) == pytest.approx(4.0)  # noqa: S307


def test_modules_follow_the_agenda(tmp_path: Path) -> None:
    assert modules_for_outcomes(["acceptability", "coverage"]) == ["receipt", "aim"]
    agenda = [
        {"question": "q_accept", "outcomes": ["acceptability"]},
        {"question": "q_cov", "outcomes": ["coverage", "equity"]},
    ]
    forms = build_forms(tmp_path, agenda)
    names = {r["name"] for r in forms["household"].rows}
    assert "aim_1" in names and "tabs_received" in names
    assert "iam_1" not in names and "fim_1" not in names and "tabs_consumed" not in names
    assert "obs" not in {r["name"] for r in forms["facility"].rows}  # no fidelity question
    assert forms["household"].questions == ["q_accept", "q_cov"]
    # a reduced form is still a valid XForm
    convert(str(tmp_path / "mms_household_exit.xlsx"))


def test_every_module_subset_converts_and_refers_to_its_own_fields(tmp_path: Path) -> None:
    # a module may only refer to fields of receipt (always asked) or of itself: check every
    # subset of the optional modules, not just the full form
    import itertools

    from mmsis.plan.forms import MODULE_OUTCOMES

    optional = [m for m in MODULE_OUTCOMES if m != "receipt"]
    for k in range(len(optional) + 1):
        for subset in itertools.combinations(optional, k):
            form = household_survey(list(subset))
            path = form.save(tmp_path / f"hh_{k}_{'_'.join(subset)}.xlsx")
            convert(str(path), validate=False)
            names = {r["name"] for r in form.rows}
            for r in form.rows:
                for col in ("relevance", "constraint", "calculation"):
                    for ref in re.findall(r"\$\{(\w+)\}", str(r.get(col) or "")):
                        assert ref in names, (subset, r["name"], ref)
            scales = {s for s in WEINER_SCALES if f"{s}_1" in names}
            assert scales == set(subset) & set(WEINER_SCALES)
