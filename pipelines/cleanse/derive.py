"""Derived columns: expressions over a delivered row, declared in a feed's YAML and evaluated vectorized. Pure.

Each derived column is one operation on columns of the file (or on columns derived before it):

| operation | YAML | result |
|---|---|---|
| concatenate | `{concat: [a, b], sep: "-"}` | the texts joined (null when any is null) |
| regex extract | `{extract: a, pattern: "(\\d+)"}` | the first group (or the group named `value`); null without a match |
| regex replace | `{replace: a, pattern: "\\s+", replacement: " "}` | the text with every match replaced |
| arithmetic | `{expression: "volume * 4 / lanes"}` | numbers: + - * / // % ** and parentheses over columns and numbers |
| map values | `{map: a, values: {M: male, F: female}, default: keep}` | each value looked up; `keep` the others, or `null` |
| date part | `{date_part: a, part: hour, format: "%d/%m/%Y %H:%M"}` | year, month, day, hour, minute, weekday (Monday 0) |
| shift | `{shift: a, within: [sensor], order_by: t, periods: 1}` | the value `periods` rows earlier within each key |
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
PARTS = ("year", "month", "day", "hour", "minute", "weekday")
_MISSING = object()


class DeriveError(ValueError):
    """A derived column that cannot be computed as declared."""


def parse_expression(expression: str) -> ast.expr:
    """The syntax tree of an arithmetic expression; DeriveError for anything but numbers, names and + - * / // % **."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError as exc:
        raise DeriveError(f"expression {expression!r} is not valid: {exc.msg}") from None
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, *_BINARY, *_UNARY)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            continue
        if not isinstance(node, allowed):
            raise DeriveError(f"expression {expression!r}: only numbers, column names and + - * / // % ** are allowed")
    return tree


def expression_names(expression: str) -> list[str]:
    """The column names an expression reads, in order."""
    found = [n for n in ast.walk(parse_expression(expression)) if isinstance(n, ast.Name)]
    names = [n.id for n in sorted(found, key=lambda n: n.col_offset)]
    return list(dict.fromkeys(names))


def _evaluate(node: ast.expr, frame: pd.DataFrame) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return pd.to_numeric(frame[node.id], errors="coerce").astype("float64")
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, frame))
    assert isinstance(node, ast.BinOp)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _BINARY[type(node.op)](_evaluate(node.left, frame), _evaluate(node.right, frame))


@dataclass(frozen=True)
class Rule:
    """One derived column: its operation and what it needs (see the module's table)."""

    op: str
    inputs: tuple[str, ...]
    options: Mapping[str, Any]


def compute(frame: pd.DataFrame, rule: Rule) -> pd.Series:
    """The derived column over every row of the frame (texts as delivered, None for nulls)."""
    first = frame[rule.inputs[0]] if rule.inputs else None
    options = rule.options
    if rule.op == "concat":
        texts = [frame[c].astype("string") for c in rule.inputs]
        joined = texts[0]
        for text in texts[1:]:
            joined = joined + str(options.get("sep", "")) + text
        return joined.astype(object).where(joined.notna(), None)
    assert first is not None
    text = first.astype("string")
    if rule.op == "extract":
        pattern = re.compile(options["pattern"])
        group = "value" if "value" in pattern.groupindex else 1
        found = text.str.extract(pattern, expand=True)
        column = found[group] if group in found.columns else found.iloc[:, 0]
        return column.astype(object).where(column.notna(), None)
    if rule.op == "replace":
        replaced = text.str.replace(options["pattern"], options.get("replacement", ""), regex=True)
        return replaced.astype(object).where(replaced.notna(), None)
    if rule.op == "expression":
        result = _evaluate(parse_expression(options["expression"]), frame)
        series = pd.Series(result, index=frame.index, dtype="float64")
        return series.where(np.isfinite(series), np.nan)
    if rule.op == "map":
        values: Mapping[str, Any] = options["values"]
        mapped = first.map(lambda v: values.get(str(v).strip(), _MISSING) if v is not None else None)
        fallback = first if options.get("default", "keep") == "keep" else None
        return mapped.where(mapped.map(lambda v: v is not _MISSING), fallback).astype(object)
    if rule.op == "date_part":
        stamps = pd.to_datetime(text, format=options.get("format") or "ISO8601", errors="coerce")
        part = options["part"]
        found = stamps.dt.weekday if part == "weekday" else getattr(stamps.dt, part)
        return found.astype("Int64").astype(object).where(found.notna(), None)
    if rule.op == "shift":
        column, within, order_by = rule.inputs[0], list(options.get("within", [])), options.get("order_by")
        ordered = frame.sort_values(order_by, kind="stable") if order_by else frame
        source = ordered.groupby(within, sort=False)[column] if within else ordered[column]
        shifted = source.shift(int(options.get("periods", 1))).reindex(frame.index)
        return shifted.astype(object).where(shifted.notna(), None)
    raise DeriveError(f"unknown operation {rule.op!r}")


def add_derived(frame: pd.DataFrame, rules: Mapping[str, Rule]) -> pd.DataFrame:
    """The frame with every derived column added, in declaration order (a rule may use the ones before it)."""
    if not rules:
        return frame
    result = frame.copy()
    for name, rule in rules.items():
        result[name] = compute(result, rule)
    return result


def file_inputs(rules: Mapping[str, Rule], used: Sequence[str]) -> list[str]:
    """The delivered columns that `used` needs once derived names are replaced by what they read."""
    needed: list[str] = []
    for name in used:
        if name in rules:
            needed += file_inputs({k: v for k, v in rules.items() if k != name}, rules[name].inputs)
        else:
            needed.append(name)
    return list(dict.fromkeys(needed))
