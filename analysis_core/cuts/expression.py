"""Safe cut expressions over RQ columns, evaluated vectorised (never ``eval``).

What to use when
----------------
- ``parse_expression(text)``: check a typed cut expression and get a ``CutExpression`` (the
  columns it uses, ``evaluate(table) -> bool array``). Raises ``CutError`` naming the expression,
  the position (1-based column) and the fault.
- ``CutExpression.evaluate(table)``: the boolean result for every row of a mapping of
  column -> array (an ``RQTable`` works). NaN in a column gives False in comparisons; callers
  that need "NaN rows never pass" (``ExpressionCut``) also require the used columns finite.

Grammar (``spec/interfaces.md``, end)::

    expr    := or ; or := and ("or" and)* ; and := not ("and" not)* ; not := "not" not | cmp
    cmp     := arith (("<" | "<=" | ">" | ">=" | "==" | "!=") arith)*   # chains: a < x < b
    arith   := term (("+" | "-") term)* ; term := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | atom
    atom    := NUMBER | COLUMN | "True" | "False" | FUNC "(" expr ")" | "(" expr ")"
    FUNC    := abs | cos | sin | radians

The text is parsed with ``ast.parse(mode="eval")`` and only the node types above are accepted;
everything else (attributes, subscripts, lambdas, calls of other names, ``**``, strings, ...)
is refused before anything is evaluated.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis_core.errors import CutError
from analysis_core.rqfile import RQ_COLUMNS

__all__ = [
    "FUNCTIONS",
    "MAX_EXPRESSION_CHARS",
    "CutExpression",
    "parse_expression",
    "table_rows",
]

#: Functions a cut expression may call (one numeric argument each).
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "abs": np.abs,
    "cos": np.cos,
    "sin": np.sin,
    "radians": np.radians,
}

#: Longest accepted expression (guards the parser against pathological input).
MAX_EXPRESSION_CHARS = 2000

_BOOL_COLUMNS = frozenset(name for name, (dtype, _, _) in RQ_COLUMNS.items() if dtype == "?")

_CMP_OPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_BIN_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}
_NODE_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.Starred: "starred arguments",
    ast.IfExp: "conditional expressions",
    ast.Dict: "dicts",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.NamedExpr: "assignment",
    ast.JoinedStr: "strings",
}


@dataclass(frozen=True)
class CutExpression:
    """A checked cut expression.

    Attributes
    ----------
    text : str
        The expression as typed (stripped).
    columns : tuple of str
        The RQ columns it reads, sorted.
    """

    text: str
    columns: tuple[str, ...]

    def evaluate(self, table: Mapping[str, Any]) -> NDArray[np.bool_]:
        """Evaluate over every row of ``table`` (mapping column -> 1-D array).

        Raises
        ------
        CutError
            A column the expression uses is missing from ``table``.
        """
        for name in self.columns:
            if name not in table:
                raise CutError(f"cut {self.text!r}: the table has no column {name!r}")
        tree = ast.parse(self.text, mode="eval")
        n = table_rows(table, self.columns)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = _Evaluator(table).visit(tree.body)
        out = np.asarray(value, dtype=bool)
        if out.ndim == 0:
            # A constant expression ("True", "1 < 2") applies to every row.
            return np.full(n, bool(out))
        return out


def table_rows(table: Mapping[str, Any], columns: Iterable[str] = ()) -> int:
    """Return the number of rows of ``table`` (an ``RQTable`` or a dict of column arrays)."""
    for name in columns:
        return len(table[name])
    if isinstance(table, dict):
        # len() of a plain dict counts its columns: use the length of a column instead.
        return len(next(iter(table.values()))) if table else 0
    return len(table)


def parse_expression(text: str, columns: Iterable[str] | None = None) -> CutExpression:
    """Check a cut expression and return it compiled.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"f90 > 0.2 and f90 < 0.45 and ftop > 0.3 and ftop < 0.7"``.
    columns : iterable of str, optional
        Column names allowed (default: the RQ columns of ``spec/interfaces.md``).

    Raises
    ------
    CutError
        Syntax errors, unknown columns or functions, forbidden constructs, or an expression that
        gives a number instead of a condition. The message names the expression, the position
        (``col N``, 1-based) and the fault.
    """
    if not isinstance(text, str):
        raise CutError(f"cut expression must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise CutError("cut expression is empty")
    if len(stripped) > MAX_EXPRESSION_CHARS:
        raise CutError(
            f"cut expression is {len(stripped)} characters long (limit {MAX_EXPRESSION_CHARS})"
        )
    if "\n" in stripped or "\r" in stripped:
        raise CutError(f"cut {stripped!r}: expression must be on one line")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        col = exc.offset or 0
        where = f"at col {col}" if 1 <= col <= len(stripped) else "at the end"
        raise CutError(f"cut {stripped!r}: syntax error {where}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise CutError(f"cut {stripped!r}: cannot parse ({type(exc).__name__})") from None
    allowed = frozenset(RQ_COLUMNS if columns is None else columns)
    checker = _Checker(stripped, allowed)
    try:
        kind = checker.visit(tree.body)
    except RecursionError:
        raise CutError(f"cut {stripped!r}: expression is nested too deeply") from None
    if kind != "bool":
        raise CutError(
            f"cut {stripped!r}: gives a number, not a condition (compare it, e.g. '... > 0')"
        )
    return CutExpression(stripped, tuple(sorted(checker.used)))


class _Checker:
    """Walk the AST, accept only whitelisted nodes, and infer 'bool' or 'num' per node."""

    def __init__(self, text: str, allowed: frozenset[str]) -> None:
        self.text = text
        self.allowed = allowed
        self.used: set[str] = set()

    def fail(self, node: ast.AST, fault: str) -> CutError:
        col = getattr(node, "col_offset", -1) + 1
        return CutError(f"cut {self.text!r}: {fault} at col {col}")

    def visit(self, node: ast.AST) -> str:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise self.fail(node, f"{what} not allowed in a cut")
        return str(method(node))

    def need(self, node: ast.AST, kind: str, role: str) -> None:
        got = self.visit(node)
        if got != kind:
            word = "a condition" if kind == "bool" else "a number"
            raise self.fail(node, f"{role} needs {word}")

    def visit_BoolOp(self, node: ast.BoolOp) -> str:
        for value in node.values:
            self.need(value, "bool", "'and'/'or'")
        return "bool"

    def visit_UnaryOp(self, node: ast.UnaryOp) -> str:
        if isinstance(node.op, ast.Not):
            self.need(node.operand, "bool", "'not'")
            return "bool"
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            self.need(node.operand, "num", "sign")
            return "num"
        raise self.fail(node, "operator '~' not allowed (use 'not')")

    def visit_BinOp(self, node: ast.BinOp) -> str:
        if type(node.op) not in _BIN_OPS:
            sym = {
                ast.Pow: "**",
                ast.Mod: "%",
                ast.FloorDiv: "//",
                ast.BitAnd: "&",
                ast.BitOr: "|",
            }.get(type(node.op), type(node.op).__name__)
            hint = {"&": " (use 'and')", "|": " (use 'or')"}.get(sym, "")
            raise self.fail(node, f"operator {sym!r} not allowed{hint}")
        self.need(node.left, "num", "arithmetic")
        self.need(node.right, "num", "arithmetic")
        return "num"

    def visit_Compare(self, node: ast.Compare) -> str:
        for op in node.ops:
            if type(op) not in _CMP_OPS:
                raise self.fail(node, f"comparison {type(op).__name__!r} not allowed")
        for operand in (node.left, *node.comparators):
            self.visit(operand)  # numbers or boolean columns (saturated == 0)
        return "bool"

    def visit_Call(self, node: ast.Call) -> str:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only abs, cos, sin, radians may be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(
                node, f"unknown function {name!r} (allowed: {', '.join(sorted(FUNCTIONS))})"
            )
        if node.keywords or len(node.args) != 1:
            raise self.fail(node, f"{name}() takes exactly one argument")
        self.need(node.args[0], "num", f"{name}()")
        return "num"

    def visit_Name(self, node: ast.Name) -> str:
        if node.id not in self.allowed:
            raise self.fail(node, f"unknown column {node.id!r}")
        self.used.add(node.id)
        return "bool" if node.id in _BOOL_COLUMNS else "num"

    def visit_Constant(self, node: ast.Constant) -> str:
        if isinstance(node.value, bool):
            return "bool"
        if isinstance(node.value, (int, float)):
            return "num"
        raise self.fail(node, f"constant {node.value!r} not allowed (numbers only)")


class _Evaluator:
    """Evaluate a tree that ``_Checker`` accepted, vectorised with numpy."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        self.table = table

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            out = self.visit(node.values[0])
            for value in node.values[1:]:
                out = combine(out, self.visit(value))
            return out
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return np.logical_not(operand)
            return np.negative(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return _BIN_OPS[type(node.op)](self.visit(node.left), self.visit(node.right))
        if isinstance(node, ast.Compare):
            # Chained comparisons: a < b < c means (a < b) and (b < c), as in Python.
            left = self.visit(node.left)
            out: Any = True
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.visit(comp)
                out = np.logical_and(out, _CMP_OPS[type(op)](left, right))
                left = right
            return out
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](self.visit(node.args[0]))  # type: ignore[attr-defined]
        if isinstance(node, ast.Name):
            return np.asarray(self.table[node.id])
        if isinstance(node, ast.Constant):
            return node.value
        raise CutError(f"internal: unexpected node {type(node).__name__}")  # checked before
