"""The steps of `mmsis demo`: one module per step, each with ``run_demo(out_dir, country)``.

Their printouts are catalog messages (French and Portuguese under `mmsis --lang`), numbers in
the language's format with the decimals they always had (`fixed`)."""

from __future__ import annotations

__all__ = ["design", "evaluate", "fixed", "forecast", "framework", "impact", "plan", "report",
           "routine", "survey"]


def fixed(value: float, decimals: int) -> str:
    """A number with a fixed count of decimals, in the language's format ("" when NaN)."""
    from babel.numbers import format_decimal

    from mmsis.i18n import current_locale

    if value != value:
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, pattern, locale=current_locale()))
