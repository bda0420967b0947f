"""Tables in DHIS2 shapes (DataFrames read from files or built in memory) loaded into a
throwaway store, so that every roll-up over org units runs through the same code
(mmsis.measure.routine.series) whether the data came from a store or from files."""

from __future__ import annotations

import pandas as pd

from mmsis.data import concepts
from mmsis.data.store import Store
from mmsis.errors import InputError


def element_table(ids: list[str], mapping: concepts.ConceptMap | None = None) -> pd.DataFrame:
    """Data elements for values that came without metadata: a mapped concept's element gets the
    concept's aggregation type (stock on hand: LAST), any other is summed (DHIS2's default).
    Without a mapping, the conventional one (element id = concept name in capitals)."""
    of = (mapping.concept_of() if mapping is not None
          else {c.upper(): c for c in concepts.CONCEPTS})
    return pd.DataFrame({"id": ids, "name": ids, "aggregation_type": [
        concepts.CONCEPTS[of[i]].aggregation_type if i in of else "SUM" for i in ids]})


def store_from_frames(org_units: pd.DataFrame, data_values: pd.DataFrame,
                      reports: pd.DataFrame | None = None,
                      data_elements: pd.DataFrame | None = None, *,
                      mapping: concepts.ConceptMap | None = None,
                      file: str = "tables") -> Store:
    """An in-memory store holding these tables (validated as any import; InputError naming the
    first refused row otherwise). Org units need id and parent_id or path; data values DHIS2's
    columns (dataElement, period, orgUnit, [categoryOptionCombo, attributeOptionCombo], value);
    data elements default to `element_table`. With ``mapping``, it is saved in the store."""
    store = Store(":memory:")
    if data_elements is None:
        col = "dataElement" if "dataElement" in data_values else "data_element"
        if col not in data_values:
            raise InputError("data values lack a dataElement column", file=file,
                             column="dataElement")
        data_elements = element_table(sorted(data_values[col].astype(str).unique()), mapping)
    ous = org_units.rename(columns={"parent": "parent_id"})
    ous = ous[[c for c in ("id", "name", "level", "parent_id", "path", "population",
                           "opening_date") if c in ous.columns]]
    steps = [("org units and data elements",
              lambda: store.import_metadata({"org_units": ous, "data_elements": data_elements},
                                            file=file)),
             ("data values", lambda: store.import_data_values(data_values, file=file))]
    if reports is not None and len(reports):
        steps.append(("reports", lambda: store.import_reports(reports, file=file)))
    for what, step in steps:
        rep = step()
        if not rep.ok:
            first = rep.refusals[0] if rep.refusals else None
            store.close()
            raise InputError(f"the {what} could not be loaded: {rep.refused} refused"
                             + (f" (first: row {first.row}, {first.reason}"
                                + (f" '{first.value}'" if first.value else "") + ")"
                                if first else ""),
                             file=file, row=first.row if first else None,
                             column=first.column if first else None)
    if mapping is not None:
        store.set_concepts(mapping)
    return store
