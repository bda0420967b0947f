"""mmsis.present: one presentation layer for people (CLI tables, pages, charts, the report).

``format`` writes numbers, shares, intervals, p values, money and periods through one
locale-aware formatter (Babel); ``labels`` gives words for knowledge-base ids, model
parameters, output keys, org units and data elements; ``tables`` turns result frames into
readable tables; ``sentences`` says what each result means; ``cells`` makes exported text
safe to open. It sits low in the layers (imports only ``framework``, ``data.dhis2.periods``
and ``errors``), so every package may use it. Machines keep raw ids and numbers: ``--json``,
``--csv`` and the API never go through here.
"""

__all__ = ["cells", "format", "labels", "numbers", "sentences", "tables"]
