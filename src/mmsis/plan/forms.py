"""XLSForm field tools (ODK / KoboToolbox) for the questions on the IR agenda.

Three forms: a household / exit-interview survey (receipt, adherence, acceptability with the
AIM, IAM and FIM scales of Weiner et al. 2017), a facility readiness and fidelity checklist,
and a stock-card audit. Labels are in English, French and Portuguese (plan/forms_pt.py, keyed
by the English text). Which survey modules are included
follows the implementation outcomes of the agenda's questions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from mmsis.plan.forms_pt import PT
from mmsis.present.cells import safe_cell

EN = "label::English (en)"
FR = "label::French (fr)"
PT_LABEL = "label::Portuguese (pt)"
HEN = "hint::English (en)"
HFR = "hint::French (fr)"
HPT = "hint::Portuguese (pt)"
CEN = "constraint_message::English (en)"
CFR = "constraint_message::French (fr)"
CPT = "constraint_message::Portuguese (pt)"

SURVEY_COLUMNS = [
    "type", "name", EN, FR, PT_LABEL, HEN, HFR, HPT, "required", "relevance", "constraint", CEN,
    CFR, CPT, "calculation", "appearance", "choice_filter", "repeat_count",
]
_PORTUGUESE = {EN: PT_LABEL, HEN: HPT, CEN: CPT}


def portuguese(english: str) -> str:
    """The Portuguese wording of a form text (plan/forms_pt.py); ValueError if it has none, so a
    new English label cannot ship without its Portuguese one."""
    if not english:
        return ""
    if english not in PT:
        raise ValueError(f"no Portuguese wording for the form text {english!r} "
                         "(add it to mmsis/plan/forms_pt.py)")
    return PT[english]

# Weiner BJ et al. 2017, Implementation Science 12:108 (AIM, IAM, FIM; 4 items each, 1-5).
# French wording is a working translation by mmsis (status: assumption, not validated).
WEINER_SCALES: dict[str, list[tuple[str, str]]] = {
    "aim": [
        ("MMS meets my approval.", "Les MMS ont mon approbation."),
        ("MMS is appealing to me.", "Les MMS me plaisent."),
        ("I like MMS.", "J'aime les MMS."),
        ("I welcome MMS.", "J'accueille favorablement les MMS."),
    ],
    "iam": [
        ("MMS seems fitting.", "Les MMS semblent adaptés."),
        ("MMS seems suitable.", "Les MMS semblent convenables."),
        ("MMS seems applicable.", "Les MMS semblent applicables."),
        ("MMS seems like a good match.", "Les MMS semblent bien correspondre."),
    ],
    "fim": [
        ("MMS seems implementable.", "Les MMS semblent réalisables à mettre en œuvre."),
        ("MMS seems possible.", "Les MMS semblent possibles."),
        ("MMS seems doable.", "Les MMS semblent faisables."),
        ("MMS seems easy to use.", "Les MMS semblent faciles à utiliser."),
    ],
}
SCALE_TITLES = {
    "aim": ("Acceptability of MMS (AIM)", "Acceptabilité des MMS (AIM)"),
    "iam": ("Appropriateness of MMS (IAM)", "Pertinence des MMS (IAM)"),
    "fim": ("Feasibility of MMS (FIM)", "Faisabilité des MMS (FIM)"),
}

# Survey modules and the implementation outcomes (ids or words in them) that call for them.
MODULE_OUTCOMES: dict[str, tuple[str, ...]] = {
    "receipt": ("coverage", "penetration", "reach", "equity", "adoption"),
    "adherence": ("adherence", "effectiveness"),
    "counselling": ("fidelity", "adherence"),
    "aim": ("acceptability",),
    "iam": ("appropriateness",),
    "fim": ("feasibility",),
}

CHOICES: dict[str, list[tuple[str, str, str]]] = {
    "yes_no": [("yes", "Yes", "Oui"), ("no", "No", "Non")],
    "yes_no_dk": [("yes", "Yes", "Oui"), ("no", "No", "Non"), ("dk", "Don't know", "Ne sait pas")],
    "respondent": [
        ("household", "Household interview", "Entretien au ménage"),
        ("exit", "Exit interview at a facility", "Entretien de sortie à la formation sanitaire"),
    ],
    "preg_status": [
        ("pregnant", "Currently pregnant", "Enceinte actuellement"),
        ("postpartum", "Gave birth in the past 12 months",
         "A accouché au cours des 12 derniers mois"),
    ],
    "supp_type": [
        ("mms", "MMS (multiple micronutrient tablets)",
         "MMS (comprimés de micronutriments multiples)"),
        ("ifa", "Iron-folic acid (IFA)", "Fer-acide folique (FAF)"),
        ("both", "Both", "Les deux"),
        ("dk", "Don't know", "Ne sait pas"),
    ],
    "source": [
        ("public", "Public facility", "Formation sanitaire publique"),
        ("community", "Community health worker", "Agent de santé communautaire"),
        ("pharmacy", "Private pharmacy or shop", "Pharmacie ou boutique privée"),
        ("other", "Other", "Autre"),
    ],
    "reasons": [
        ("forgot", "Forgot", "Oubli"),
        ("side_effects", "Side effects", "Effets secondaires"),
        ("ran_out", "Ran out of tablets", "Plus de comprimés"),
        ("taste", "Taste or smell", "Goût ou odeur"),
        ("not_needed", "Felt not needed", "Pas jugé nécessaire"),
        ("family", "Family advised against", "Déconseillé par la famille"),
        ("other", "Other", "Autre"),
    ],
    "side_effects": [
        ("none", "None", "Aucun"),
        ("nausea", "Nausea or vomiting", "Nausées ou vomissements"),
        ("constipation", "Constipation", "Constipation"),
        ("stomach", "Stomach pain", "Maux d'estomac"),
        ("other", "Other", "Autre"),
    ],
    "agree5": [
        ("1", "Completely disagree", "Pas du tout d'accord"),
        ("2", "Disagree", "Pas d'accord"),
        ("3", "Neither agree nor disagree", "Ni d'accord ni pas d'accord"),
        ("4", "Agree", "D'accord"),
        ("5", "Completely agree", "Tout à fait d'accord"),
    ],
    "product": [("mms", "MMS", "MMS"), ("ifa", "IFA", "FAF")],
    "observed": [
        ("done", "Done", "Fait"),
        ("not_done", "Not done", "Pas fait"),
        ("na", "Not applicable", "Sans objet"),
    ],
}


@dataclass
class XLSForm:
    """An XLSForm in memory: survey rows, the choice lists it uses, and its settings."""

    form_id: str
    title: tuple[str, str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    own_choices: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    """Choice lists built for this form (the programme's districts and facilities)."""

    def add(self, type_: str, name: str, en: str = "", fr: str = "", **cols: Any) -> None:
        """Append one survey row; `type_` like 'select_one yes_no' registers the list."""
        parts = type_.split()
        if parts[0] in ("select_one", "select_multiple") and parts[1] not in self.lists:
            if parts[1] not in CHOICES and parts[1] not in self.own_choices:
                raise ValueError(f"no choice list {parts[1]!r}")
            self.lists.append(parts[1])
        row: dict[str, Any] = {"type": type_, "name": name, EN: en, FR: fr}
        for key, value in cols.items():
            key = {"hint_en": HEN, "hint_fr": HFR, "cmsg_en": CEN, "cmsg_fr": CFR}.get(key, key)
            row[key] = value
        for source, target in _PORTUGUESE.items():
            if row.get(source):
                row[target] = portuguese(str(row[source]))
        self.rows.append(row)

    def save(self, path: Path) -> Path:
        """Write the form as an .xlsx XLSForm (survey, choices, settings sheets).

        Text from the programme's data (district and facility names) that a spreadsheet would
        run as a formula is escaped (`present.cells`), like every cell of the form.
        """
        wb = Workbook()
        survey = wb.active
        assert survey is not None
        survey.title = "survey"
        survey.append(SURVEY_COLUMNS)
        for row in self.rows:
            survey.append([safe_cell(row.get(c, "")) for c in SURVEY_COLUMNS])
        choices = wb.create_sheet("choices")
        choices.append(["list_name", "name", EN, FR, PT_LABEL, "district"])
        for list_name in self.lists:
            if list_name in self.own_choices:  # the programme's own names, in every language
                for c in self.own_choices[list_name]:
                    choices.append([safe_cell(v) for v in (list_name, c["name"], c["label"],
                                                           c["label"], c["label"],
                                                           c.get("district", ""))])
                continue
            for name, en, fr in CHOICES[list_name]:
                choices.append([safe_cell(v) for v in (list_name, name, en, fr, portuguese(en),
                                                       "")])
        settings = wb.create_sheet("settings")
        settings.append(["form_id", "form_title", "version", "default_language"])
        settings.append([safe_cell(v) for v in
                         (self.form_id, self.title[0], "2026010101", "English (en)")])
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
        return path


@dataclass(frozen=True)
class OrgUnitChoices:
    """The programme's districts and facilities, for the forms' org-unit questions.

    `districts` are (id, name); `facilities` are (id, name, district id). Submissions then
    carry org-unit ids, so field scores break down by district and facility.
    """

    districts: Sequence[tuple[str, str]]
    facilities: Sequence[tuple[str, str, str]] = ()

    def add_to(self, form: XLSForm, facility_required: str = "yes",
               facility_relevance: str = "") -> None:
        """Add `district` and (when facilities are known) `facility`, filtered by district."""
        form.own_choices["district"] = [{"name": i, "label": n} for i, n in self.districts]
        form.add("select_one district", "district", "District", "District", required="yes")
        if self.facilities:
            form.own_choices["facility"] = [
                {"name": i, "label": n, "district": d} for i, n, d in self.facilities]
            cols: dict[str, Any] = {"required": facility_required,
                                    "choice_filter": "district=${district}"}
            if facility_relevance:
                cols["relevance"] = facility_relevance
            form.add("select_one facility", "facility", "Facility", "Formation sanitaire", **cols)


def org_unit_choices(org_units: pd.DataFrame, district_level: int) -> OrgUnitChoices:
    """Districts (units at `district_level`) and facilities (the deepest units under them)
    from an org-unit table with id, name, level and path (as the programme store keeps it)."""
    from mmsis.errors import InputError

    need = {"id", "name", "level", "path"} - set(org_units.columns)
    if need:
        raise InputError(f"org units need {', '.join(sorted(need))}", field="org_units")
    levels = org_units["level"].astype(int)
    districts = org_units[levels == district_level].sort_values("name")
    if districts.empty:
        raise InputError(f"no org units at level {district_level}", field="district_level")
    deepest = int(levels.max())
    facilities: list[tuple[str, str, str]] = []
    if deepest > district_level:
        ids = set(districts["id"].astype(str))
        for _, r in org_units[levels == deepest].sort_values("name").iterrows():
            parts = str(r["path"]).strip("/").split("/")
            district = parts[district_level - 1] if len(parts) >= district_level else ""
            if district in ids:
                facilities.append((str(r["id"]), str(r["name"]), district))
    return OrgUnitChoices(
        districts=[(str(i), str(n)) for i, n in zip(districts["id"], districts["name"],
                                                      strict=True)],
        facilities=facilities)


def modules_for_outcomes(outcomes: Iterable[str]) -> list[str]:
    """Survey modules needed to measure the given implementation outcomes (ids)."""
    outs = [o.lower() for o in outcomes]
    return [m for m, keys in MODULE_OUTCOMES.items() if any(k in o for o in outs for k in keys)]


def _weiner_scale(form: XLSForm, scale: str) -> None:
    t_en, t_fr = SCALE_TITLES[scale]
    form.add(
        "begin_group", f"{scale}_group", t_en, t_fr,
        relevance="${supp_type} = 'mms' or ${supp_type} = 'both'",
        appearance="field-list",
    )
    form.add(
        "note", f"{scale}_intro",
        "How much do you agree with each statement about MMS?",
        "Dans quelle mesure êtes-vous d'accord avec chaque affirmation sur les MMS ?",
    )
    names = []
    for i, (en, fr) in enumerate(WEINER_SCALES[scale], start=1):
        name = f"{scale}_{i}"
        names.append(name)
        form.add("select_one agree5", name, en, fr, required="yes", appearance="likert")
    form.add("end_group", f"{scale}_group")
    mean = " + ".join(f"number(${{{n}}})" for n in names)
    form.add(
        "calculate", f"{scale}_score",
        calculation=f"if(${{{names[0]}}} != '', ({mean}) div {len(names)}, '')",
    )


def household_survey(modules: Sequence[str] | None = None,
                     org_units: OrgUnitChoices | None = None) -> XLSForm:
    """Household / exit-interview survey on receipt, adherence and acceptability of MMS."""
    mods = list(MODULE_OUTCOMES) if modules is None else list(modules)
    # The type question gates every later module, so receipt is always asked.
    mods = ["receipt", *[m for m in mods if m != "receipt"]]
    f = XLSForm("mms_household_exit", ("MMS household and exit interview",
                                       "Entretien ménage et sortie MMS"), modules=mods)
    f.add("start", "start")
    f.add("end", "end")
    f.add("today", "today")
    f.add("select_one respondent", "respondent_type", "Type of interview", "Type d'entretien",
          required="yes")
    if org_units is not None:
        org_units.add_to(f, facility_relevance="${respondent_type} = 'exit'")
    else:
        f.add("text", "facility", "Facility name", "Nom de la formation sanitaire",
              relevance="${respondent_type} = 'exit'", required="yes")
    f.add("text", "cluster", "Cluster (enumeration area) code", "Code de la grappe",
          relevance="${respondent_type} = 'household'", required="yes")
    f.add("select_one yes_no", "consent",
          "Do you agree to take part in this interview?",
          "Acceptez-vous de participer à cet entretien ?", required="yes")
    f.add("begin_group", "main", "Interview", "Entretien", relevance="${consent} = 'yes'")
    f.add("integer", "age", "Age in completed years", "Âge en années révolues", required="yes",
          constraint=". >= 15 and . <= 49", cmsg_en="Age must be 15-49",
          cmsg_fr="L'âge doit être entre 15 et 49 ans")
    f.add("select_one preg_status", "preg_status", "Pregnancy status", "Statut de grossesse",
          required="yes")
    f.add("integer", "gest_months", "Months pregnant now", "Mois de grossesse actuels",
          relevance="${preg_status} = 'pregnant'", constraint=". >= 1 and . <= 10")
    f.add("select_one yes_no_dk", "anc_any",
          "Did you see anyone for antenatal care during this pregnancy?",
          "Avez-vous consulté pour des soins prénatals pendant cette grossesse ?", required="yes")
    f.add("integer", "anc_visits", "How many antenatal visits?", "Combien de visites prénatales ?",
          relevance="${anc_any} = 'yes'", constraint=". >= 1 and . <= 20")
    f.add("integer", "anc_first_month",
          "Months pregnant at the first antenatal visit",
          "Mois de grossesse à la première visite prénatale",
          relevance="${anc_any} = 'yes'", constraint=". >= 0 and . <= 10")
    f.add("select_one yes_no_dk", "received_supp",
          "During this pregnancy, were you given or did you buy tablets for pregnancy "
          "(iron or multiple micronutrients)?",
          "Pendant cette grossesse, avez-vous reçu ou acheté des comprimés pour la grossesse "
          "(fer ou micronutriments multiples) ?", required="yes")
    f.add("select_one supp_type", "supp_type", "Which tablets? (show the product photos)",
          "Quels comprimés ? (montrer les photos des produits)",
          relevance="${received_supp} = 'yes'", required="yes")
    if "receipt" in mods:
        f.add("select_multiple source", "supp_source", "Where did you get them?",
              "Où les avez-vous obtenus ?", relevance="${received_supp} = 'yes'")
        f.add("integer", "tabs_received", "How many tablets did you receive in total?",
              "Combien de comprimés avez-vous reçus au total ?",
              hint_en="Enter 998 if she does not know", hint_fr="Saisir 998 si elle ne sait pas",
              relevance="${received_supp} = 'yes'",
              constraint="(. >= 0 and . <= 400) or . = 998")
    if "adherence" in mods:
        f.add("integer", "tabs_consumed", "How many of these tablets have you taken?",
              "Combien de ces comprimés avez-vous pris ?",
              hint_en="Enter 998 if she does not know", hint_fr="Saisir 998 si elle ne sait pas",
              relevance="${received_supp} = 'yes'",
              constraint=". = 998 or ${tabs_received} = 998 or ${tabs_received} = '' "
                         "or (. >= 0 and . <= ${tabs_received})",
              cmsg_en="Cannot exceed the tablets received",
              cmsg_fr="Ne peut pas dépasser les comprimés reçus")
        f.add("select_one yes_no", "taken_yesterday", "Did you take a tablet yesterday?",
              "Avez-vous pris un comprimé hier ?", relevance="${received_supp} = 'yes'")
        f.add("select_multiple reasons", "reasons_missed", "Why not?", "Pourquoi pas ?",
              relevance="${taken_yesterday} = 'no'")
        f.add("select_one yes_no", "bottle_seen", "Can I see the bottle? (pill count)",
              "Puis-je voir le flacon ? (comptage des comprimés)",
              relevance="${received_supp} = 'yes'")
        f.add("integer", "tabs_left", "Tablets left in the bottle",
              "Comprimés restant dans le flacon",
              relevance="${bottle_seen} = 'yes'", constraint=". >= 0 and . <= 400")
        f.add("select_multiple side_effects", "side_effects", "Side effects since starting",
              "Effets secondaires depuis le début", relevance="${received_supp} = 'yes'",
              constraint="not(selected(., 'none') and count-selected(.) > 1)",
              cmsg_en="'None' cannot be combined", cmsg_fr="'Aucun' ne peut être combiné")
        f.add("calculate", "adherent_180",
              calculation="if(${tabs_consumed} != '' and ${tabs_consumed} != 998 "
                          "and ${tabs_consumed} >= 180, 1, 0)")
    if "counselling" in mods:
        f.add("select_one yes_no_dk", "counselled",
              "Did a health worker explain how to take the tablets?",
              "Un agent de santé vous a-t-il expliqué comment prendre les comprimés ?",
              relevance="${received_supp} = 'yes'")
    for scale in ("aim", "iam", "fim"):
        if scale in mods:
            _weiner_scale(f, scale)
    f.add("end_group", "main")
    return f


def facility_checklist(fidelity: bool = True,
                       org_units: OrgUnitChoices | None = None) -> XLSForm:
    """Facility readiness (stock, guidelines, training) and fidelity (counselling observed)."""
    f = XLSForm("mms_facility_readiness", ("MMS facility readiness and fidelity checklist",
                                           "Liste de contrôle préparation et fidélité MMS"),
                modules=["readiness", *(["fidelity"] if fidelity else [])])
    f.add("today", "today")
    if org_units is not None:
        org_units.add_to(f)
    if org_units is None or not org_units.facilities:
        f.add("text", "facility_id", "Facility code", "Code de la formation sanitaire",
              required="yes")
    f.add("text", "assessor", "Assessor name", "Nom de l'évaluateur", required="yes")
    f.add("select_one yes_no", "mms_in_stock", "Is MMS in stock today (physical check)?",
          "Les MMS sont-ils en stock aujourd'hui (vérification physique) ?", required="yes")
    f.add("integer", "mms_bottles", "Number of MMS bottles in store",
          "Nombre de flacons MMS en stock",
          relevance="${mms_in_stock} = 'yes'", constraint=". >= 0", required="yes")
    f.add("date", "mms_expiry", "Earliest expiry date among MMS bottles",
          "Date de péremption la plus proche des flacons MMS", relevance="${mms_in_stock} = 'yes'")
    f.add("select_one yes_no", "stockout_3m", "Any MMS stock-out in the past 3 months?",
          "Rupture de stock de MMS au cours des 3 derniers mois ?", required="yes")
    f.add("integer", "stockout_days", "Days stocked out in the past 3 months",
          "Jours de rupture au cours des 3 derniers mois",
          relevance="${stockout_3m} = 'yes'", constraint=". >= 1 and . <= 92")
    f.add("select_one yes_no", "guideline", "MMS guideline or job aid available?",
          "Directive ou aide-mémoire MMS disponible ?", required="yes")
    f.add("integer", "staff_anc", "ANC staff on duty", "Personnel CPN en service",
          constraint=". >= 0", required="yes")
    f.add("integer", "staff_trained", "Of these, trained on MMS", "Dont formés sur les MMS",
          constraint=". >= 0 and . <= ${staff_anc}",
          cmsg_en="Cannot exceed ANC staff", cmsg_fr="Ne peut pas dépasser le personnel CPN")
    f.add("calculate", "ready",
          calculation="if(${mms_in_stock} = 'yes' and ${guideline} = 'yes' "
                      "and ${staff_trained} > 0, 1, 0)")
    if fidelity:
        f.add("integer", "n_obs", "Number of ANC consultations observed",
              "Nombre de consultations CPN observées", constraint=". >= 0 and . <= 10",
              required="yes")
        f.add("begin_repeat", "obs", "Observed consultation", "Consultation observée",
              repeat_count="${n_obs}", relevance="${n_obs} > 0")
        items = [
            ("obs_given", "MMS given or prescribed", "MMS remis ou prescrits"),
            ("obs_dose", "Explained: one tablet daily", "Expliqué : un comprimé par jour"),
            ("obs_duration", "Explained: take through pregnancy (180 tablets)",
             "Expliqué : prendre pendant toute la grossesse (180 comprimés)"),
            ("obs_side", "Explained side effects and what to do",
             "Expliqué les effets secondaires et quoi faire"),
            ("obs_adherence", "Asked about tablets taken since last visit",
             "Demandé les comprimés pris depuis la dernière visite"),
        ]
        for name, en, fr in items:
            f.add("select_one observed", name, en, fr, required="yes")
        f.add("integer", "obs_tabs", "Tablets given at this visit",
              "Comprimés remis à cette visite",
              relevance="${obs_given} = 'done'", constraint=". >= 0 and . <= 400")
        done = " + ".join(f"if(${{{n}}} = 'done', 1, 0)" for n, _, _ in items)
        applicable = " + ".join(f"if(${{{n}}} != 'na', 1, 0)" for n, _, _ in items)
        f.add("calculate", "obs_fidelity",
              calculation=f"if(({applicable}) > 0, ({done}) div ({applicable}), '')")
        f.add("end_repeat", "obs")
    return f


def stock_card_audit() -> XLSForm:
    """Stock-card audit: recorded balances against a physical count (LMIS accuracy)."""
    f = XLSForm("mms_stock_card_audit", ("MMS stock-card audit", "Audit des fiches de stock MMS"),
                modules=["stock_card"])
    f.add("today", "today")
    f.add("text", "facility_id", "Facility code", "Code de la formation sanitaire", required="yes")
    f.add("select_one product", "product", "Product audited", "Produit audité", required="yes")
    f.add("select_one yes_no", "card_present", "Is there a stock card for this product?",
          "Existe-t-il une fiche de stock pour ce produit ?", required="yes")
    f.add("begin_group", "card", "Stock card", "Fiche de stock",
          relevance="${card_present} = 'yes'")
    f.add("select_one yes_no", "card_updated", "Stock card updated in the past 30 days?",
          "Fiche mise à jour au cours des 30 derniers jours ?", required="yes")
    f.add("integer", "n_months", "Months of records reviewed", "Mois d'enregistrements revus",
          constraint=". >= 1 and . <= 12", required="yes")
    f.add("begin_repeat", "month", "Month on the card", "Mois sur la fiche",
          repeat_count="${n_months}")
    f.add("date", "month_date", "Month (any day in it)", "Mois (n'importe quel jour)",
          required="yes")
    f.add("integer", "opening", "Opening balance (tablets)", "Solde d'ouverture (comprimés)",
          constraint=". >= 0", required="yes")
    f.add("integer", "received", "Received", "Reçu", constraint=". >= 0", required="yes")
    f.add("integer", "issued", "Issued", "Distribué", constraint=". >= 0", required="yes")
    f.add("integer", "closing", "Closing balance recorded", "Solde de clôture enregistré",
          constraint=". >= 0", required="yes")
    f.add("calculate", "closing_expected",
          calculation="${opening} + ${received} - ${issued}")
    f.add("calculate", "card_arith_ok",
          calculation="if(${closing} = ${closing_expected}, 1, 0)")
    f.add("integer", "days_out", "Days stocked out this month", "Jours de rupture ce mois",
          constraint=". >= 0 and . <= 31", required="yes")
    f.add("end_repeat", "month")
    f.add("integer", "last_balance", "Latest balance on the card (tablets)",
          "Dernier solde sur la fiche (comprimés)", constraint=". >= 0", required="yes")
    f.add("integer", "physical", "Physical count today (tablets)",
          "Comptage physique aujourd'hui (comprimés)", constraint=". >= 0", required="yes")
    f.add("calculate", "count_ratio",
          calculation="if(${physical} > 0, ${last_balance} div ${physical}, '')")
    f.add("calculate", "card_accurate",
          calculation="if(${physical} > 0 and ${count_ratio} >= 0.95 "
                      "and ${count_ratio} <= 1.05, 1, 0)")
    f.add("end_group", "card")
    return f


def agenda_outcomes(agenda: Iterable[dict[str, Any]]) -> tuple[list[str], dict[str, list[str]]]:
    """The agenda's outcomes, and for each survey module the questions that need it."""
    outcomes: list[str] = []
    by_module: dict[str, list[str]] = {}
    for q in agenda:
        outs = list(q.get("outcomes", []))
        outcomes.extend(outs)
        for m in modules_for_outcomes(outs):
            by_module.setdefault(m, []).append(str(q.get("question", q.get("id", ""))))
    return outcomes, by_module


def build_forms(
    out_dir: Path, agenda: Iterable[dict[str, Any]] | None = None,
    org_units: OrgUnitChoices | None = None,
) -> dict[str, XLSForm]:
    """Write the three XLSForms under `out_dir`, with survey modules chosen from the agenda.

    `agenda` is a list of question records with `question` (id) and `outcomes` (ids), such
    as `mmsis.plan.agenda.build_agenda(...).to_records()`; None includes every module.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if agenda is None:
        modules: list[str] | None = None
        by_module: dict[str, list[str]] = {}
        fidelity = True
    else:
        outcomes, by_module = agenda_outcomes(agenda)
        modules = list(by_module)
        fidelity = any("fidelity" in o.lower() for o in outcomes)
    forms = {
        "household": household_survey(modules, org_units),
        "facility": facility_checklist(fidelity=fidelity, org_units=org_units),
        "stock_card": stock_card_audit(),
    }
    forms["household"].questions = sorted({q for qs in by_module.values() for q in qs})
    for form in forms.values():
        form.save(out_dir / f"{form.form_id}.xlsx")
    return forms
