"""The one formatter: numbers, shares, intervals, p values, money and periods for people."""

from __future__ import annotations

import math
from datetime import date

import pytest

from mmsis.present import format as fmt


@pytest.mark.parametrize(("x", "want"), [
    (17010.4, "17,010"), (2.834e6, "2,834,000"), (2.96823e-05, "0.0000297"), (7730.28, "7,730"),
    (3.916, "3.92"), (0.7857, "0.786"), (-0.0105, "-0.0105"), (0, "0"), (1525.0, "1,525"),
])
def test_number_never_scientific(x: float, want: str) -> None:
    assert fmt.number(x) == want
    assert "e" not in fmt.number(x).lower()


@pytest.mark.parametrize("x", [None, float("nan"), math.inf, "abc"])
def test_missing_values_are_blank(x: object) -> None:
    assert fmt.number(x) == fmt.count(x) == fmt.percent(x) == fmt.p_value(x) == ""


def test_count_rounds_and_groups() -> None:
    assert fmt.count(7730.28) == "7,730"
    assert fmt.count(441226) == "441,226"
    assert fmt.count(1234567, locale="fr") == "1\u202f234\u202f567"


@pytest.mark.parametrize(("share", "want"), [
    (0.7857, "79%"), (0.0309, "3.1%"), (0.001441, "0.14%"), (1.0, "100%"), (0.1, "10%"),
])
def test_percent_decimals_by_size(share: float, want: str) -> None:
    assert fmt.percent(share) == want


def test_percent_given_decimals() -> None:
    assert fmt.percent(0.7857, 1) == "78.6%"


def test_ci_forms() -> None:
    assert fmt.ci(0.79, 0.77, 0.81, kind="percent") == "79% (77-81%)"
    assert fmt.ci(0.0309, 0.0255, 0.036, kind="percent") == "3.1% (2.5-3.6%)"
    assert fmt.ci(1.109, 1.0898, 1.1285) == "1.11 (1.09-1.13)"
    # a negative bound: "to" instead of a hyphen that would read as a minus sign
    assert fmt.ci(0.02255, -0.0111, 0.0561) == "0.0226 (-0.0111 to 0.0561)"
    assert fmt.ci(237.45, 101.0, 1069.98, kind="money") == "USD\u00a0237 (101-1,070)"
    assert fmt.ci(7730.3, 5791.4, 9610.2, kind="count") == "7,730 (5,791-9,610)"
    assert fmt.ci(0.5, None, None, kind="percent") == "50%"


def test_ci_range_word_in_the_language() -> None:
    """With a negative bound the range word follows the language, as on the scenario page."""
    from mmsis import i18n

    assert fmt.ci(4492, -502, 10979, kind="count", locale="pt") == "4.492 (-502 a 10.979)"
    assert fmt.ci(4492, -502, 10979, kind="count", locale="fr").endswith("à 10\u202f979)")
    with i18n.language("pt"):
        assert fmt.ci(0.03, -0.01, 0.06, kind="percent") == "3,0% (-1,0 a 6,0%)"


def test_percent_follows_the_locales_cldr_pattern() -> None:
    """French writes a no-break space before the percent sign (CLDR "#,##0\u00a0%"), English
    and Portuguese none; an interval carries the sign once, at its end."""
    assert fmt.percent(0.7857, locale="fr") == "79\u00a0%"
    assert fmt.percent(0.7857, locale="fr_NE") == "79\u00a0%"
    assert fmt.percent(0.7857, locale="pt_MZ") == "79%"
    assert fmt.ci(0.5, 0.45, 0.55, kind="percent", locale="fr") == "50\u00a0% (45-55\u00a0%)"
    assert fmt.ci(0.786, 0.77, 0.81, kind="percent", locale="en") == "79% (77-81%)"


@pytest.mark.parametrize(("p", "want"), [
    (0.0, "p < 0.001"), (1.4e-11, "p < 0.001"), (0.0234, "p = 0.02"), (0.005, "p = 0.005"),
    (0.5, "p = 0.50"), (1.0, "p > 0.99"),
])
def test_p_value(p: float, want: str) -> None:
    assert fmt.p_value(p) == want


def test_money_with_currency() -> None:
    assert fmt.money(2834000.4) == "USD\u00a02,834,000"
    assert fmt.money(14.5) == "USD\u00a014.50"
    assert fmt.money(0.0225, "USD") == "USD\u00a00.0225"
    assert fmt.money(1000, "XOF") == "XOF\u00a01,000"


@pytest.mark.parametrize(("pe", "want"), [
    ("202412", "Dec 2024"), ("2024-12", "Dec 2024"), ("2024Q4", "Oct-Dec 2024"),
    ("2024W5", "Week 5 2024 (29 Jan-4 Feb)"), ("2024", "2024"), ("20240115", "15 Jan 2024"),
    ("2024-01-15", "15 Jan 2024"), ("202401B", "Jan-Feb 2024"), ("2024S2", "Jul-Dec 2024"),
    ("2024NovS1", "Nov 2023-Apr 2024"), ("2024July", "Jul 2024-Jun 2025"),
    ("2024BiW1", "Weeks 1-2 2024 (1 Jan-14 Jan)"), (date(2024, 3, 9), "9 Mar 2024"),
    ("not a period", "not a period"), (None, ""),
])
def test_period_one_format_per_type(pe: object, want: str) -> None:
    assert fmt.period(pe) == want


def test_period_follows_the_locale() -> None:
    assert fmt.period("202412", "fr") != fmt.period("202412", "en")
    assert "2024" in fmt.period("2024Q4", "pt")


def test_span_across_years() -> None:
    assert fmt.span(date(2023, 11, 1), date(2024, 4, 30)) == "Nov 2023-Apr 2024"


def test_fixed_keeps_exactly_its_decimals_in_the_locale() -> None:
    assert fmt.fixed(1.10449, 3) == "1.104" and fmt.fixed(0.5, 2) == "0.50"
    assert fmt.fixed(12345.6, 1) == "12,345.6" and fmt.fixed(float("nan"), 2) == ""
    assert fmt.fixed(0.956, 2, "fr") == "0,96"
