"""DHIS2 indicator expressions, parsed safely and evaluated on whole columns at once.

Supported: ``#{de}``, ``#{de.coc}`` (``#{de.*}``/``#{de.coc.aoc}`` too), ``C{constant}``,
``R{dataSet.METRIC}`` (ACTUAL_REPORTS, ACTUAL_REPORTS_ON_TIME, EXPECTED_REPORTS, and
REPORTING_RATE / REPORTING_RATE_ON_TIME = 100 x actual (on time) / expected), ``[days]`` (the
days in the period),
``P{population}`` (mmsis extension: the org unit's catchment population), numbers,
``+ - * / ^ %``, comparisons, ``&&``, ``||``, ``!`` and the functions ``if``, ``isNull``,
``isNotNull``, ``firstNonNull``, ``greatest``, ``least``, with DHIS2's precedence (``^``, then
unary ``- !``, ``* / %``, ``+ -``, ``< > <= >=``, ``== !=``, ``&&``, ``||``) and Java's ``%``.
Comparisons and ``if`` propagate missing values (NaN) instead of treating them as false.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmsis.errors import InputError

_ITEM = re.compile(r"([#CRP])\{([^}]*)\}|\[days\]")
_KIND = {"#": "de", "C": "constant", "R": "report", "P": "population"}
# DHIS2's reporting rates are ratios of the (aggregated) report counts, in percent
_RATE = re.compile(r"R\{\s*([^}.\s]+)\.REPORTING_RATE(_ON_TIME)?\s*\}")
REPORT_METRICS = {"ACTUAL_REPORTS": "received", "ACTUAL_REPORTS_ON_TIME": "on_time",
                  "EXPECTED_REPORTS": "expected"}


@dataclass(frozen=True)
class Item:
    """One operand of an expression: its kind and its DHIS2 reference."""

    kind: str  # de | constant | report | population | days
    ref: str

    @property
    def name(self) -> str:
        """A safe Python identifier standing for the item in the parsed expression."""
        return "_" + _KIND_INV[self.kind] + "_" + re.sub(r"\W", "_", self.ref)

    @property
    def data_element(self) -> str:
        """The data element id of a ``#{}`` item."""
        return self.ref.split(".")[0]

    @property
    def coc(self) -> str | None:
        """The category option combo of a ``#{de.coc}`` item (None for the total)."""
        parts = self.ref.split(".")
        return parts[1] if len(parts) > 1 and parts[1] != "*" else None

    @property
    def aoc(self) -> str | None:
        """The attribute option combo of a ``#{de.coc.aoc}`` item (None for all)."""
        parts = self.ref.split(".")
        return parts[2] if len(parts) > 2 and parts[2] != "*" else None


_KIND_INV = {"de": "d", "constant": "c", "report": "r", "population": "p", "days": "n"}


class Expression:
    """A parsed DHIS2 expression: its items and a vectorised evaluator."""

    def __init__(self, text: str, where: str = "expression") -> None:
        self.text = str(text)
        self.where = where
        items: dict[str, Item] = {}

        def sub(m: re.Match[str]) -> str:
            if m.group(0) == "[days]":  # DHIS2: the number of days in the period
                item = Item("days", "days")
                items[item.name] = item
                return f" {item.name} "
            kind = _KIND[m.group(1)]
            ref = m.group(2).strip()
            if not ref:
                raise InputError(f"empty item {m.group(0)} in '{self.text}'", field=where)
            if kind == "report":
                parts = ref.split(".")
                if len(parts) != 2 or parts[1] not in REPORT_METRICS:
                    known = sorted([*REPORT_METRICS, "REPORTING_RATE", "REPORTING_RATE_ON_TIME"])
                    raise InputError(f"R{{{ref}}} must be dataSet.METRIC with METRIC one of "
                                     f"{known}", field=where)
            item = Item(kind, ref)
            items[item.name] = item
            return f" {item.name} "

        py = _RATE.sub(lambda m: f"(100 * R{{{m.group(1)}.ACTUAL_REPORTS{m.group(2) or ''}}}"
                             f" / R{{{m.group(1)}.EXPECTED_REPORTS}})", self.text)
        py = _ITEM.sub(sub, py)
        py = py.replace("&&", " and ").replace("||", " or ").replace("^", "**")
        # DHIS2's '!' / 'not' bind like unary minus (tighter than '*' and comparisons, looser
        # than '^'): Python's '~' has exactly that precedence ('not' would bind loosest)
        py = re.sub(r"!(?!=)|\bnot\b", " ~ ", py)
        py = re.sub(r"\bif\s*\(", "_if(", py)
        try:
            self._tree = ast.parse(py.strip(), mode="eval")
        except SyntaxError as exc:
            raise InputError(f"cannot parse expression '{self.text}': {exc.msg}",
                             field=where) from exc
        for node in ast.walk(self._tree):
            if not isinstance(node, _ALLOWED):
                raise InputError(f"'{self.text}' uses an unsupported construct "
                                 f"({type(node).__name__})", field=where)
            if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name)
                                               or node.func.id.lower() not in _FUNCS):
                raise InputError(f"unknown function in '{self.text}'", field=where)
            if isinstance(node, ast.Name) and node.id not in items and \
                    node.id.lower() not in _FUNCS:
                raise InputError(f"unknown name '{node.id}' in '{self.text}'", field=where)
        self.items = list(items.values())

    def evaluate(self, env: Mapping[str, Any]) -> np.ndarray:
        """Evaluate with ``env`` mapping each Item.name to a number or an array."""
        return np.asarray(_eval(self._tree.body, env), dtype="float64")


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call,
            ast.Name, ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow,
            ast.Mod, ast.USub, ast.UAdd, ast.Not, ast.Invert, ast.And, ast.Or, ast.Eq,
            ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _nanwhere(cond: Any, a: Any, b: Any) -> np.ndarray:
    c = np.asarray(cond, dtype="float64")
    return np.where(np.isnan(c), np.nan, np.where(c != 0, a, b))


def _cmp(op: ast.cmpop, a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    with np.errstate(invalid="ignore"):
        res = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less,
               ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal}[
            type(op)](a, b).astype("float64")
    return np.where(np.isnan(a) | np.isnan(b), np.nan, res)


def _first_non_null(*xs: Any) -> np.ndarray:
    out = np.asarray(xs[0], dtype="float64")
    for x in xs[1:]:
        out = np.where(np.isnan(out), np.asarray(x, dtype="float64"), out)
    return out


_FUNCS: dict[str, Any] = {
    "_if": _nanwhere,
    "isnull": lambda x: np.isnan(np.asarray(x, dtype="float64")).astype("float64"),
    "isnotnull": lambda x: (~np.isnan(np.asarray(x, dtype="float64"))).astype("float64"),
    "firstnonnull": _first_non_null,
    "greatest": lambda *xs: np.fmax.reduce(np.broadcast_arrays(*map(np.asarray, xs))),
    "least": lambda *xs: np.fmin.reduce(np.broadcast_arrays(*map(np.asarray, xs))),
}


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float)):
            raise InputError(f"only numbers are allowed, not {node.value!r}")
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = np.asarray(_eval(node.operand, env), dtype="float64")
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return _nanwhere(v, 0.0, 1.0)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a = np.asarray(_eval(node.left, env), dtype="float64")
        b = np.asarray(_eval(node.right, env), dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return np.where(b == 0, np.nan, a / np.where(b == 0, 1, b))
            if isinstance(node.op, ast.Pow):
                return a**b
            return np.fmod(a, b)  # Java's remainder (sign of the dividend), as DHIS2
    if isinstance(node, ast.BoolOp):
        vals = [np.asarray(_eval(v, env), dtype="float64") for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            if isinstance(node.op, ast.And):
                out = np.where((out == 0) | (v == 0), 0.0,
                               np.where(np.isnan(out) | np.isnan(v), np.nan, 1.0))
            else:
                out = np.where((out == 1) | ((v != 0) & ~np.isnan(v)), 1.0,
                               np.where(np.isnan(out) | np.isnan(v), np.nan, 0.0))
            out = np.where((out != 0) & ~np.isnan(out), 1.0, out)
        return out
    if isinstance(node, ast.Compare):
        # DHIS2 has no chained comparisons: '<' '>' '<=' '>=' bind tighter than '==' '!=',
        # each level left-associative (a < b == 1 is (a < b) == 1)
        vals = [_eval(node.left, env), *(_eval(c, env) for c in node.comparators)]
        ops = list(node.ops)
        for level in ((ast.Lt, ast.LtE, ast.Gt, ast.GtE), (ast.Eq, ast.NotEq)):
            i = 0
            while i < len(ops):
                if isinstance(ops[i], level):
                    vals[i:i + 2] = [_cmp(ops[i], vals[i], vals[i + 1])]
                    del ops[i]
                else:
                    i += 1
        return vals[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = _FUNCS[node.func.id.lower()]
        return fn(*[_eval(a, env) for a in node.args])
    raise InputError(f"unsupported expression node {type(node).__name__}")
