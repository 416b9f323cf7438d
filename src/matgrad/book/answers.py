"""A reader's typed answer → a whitelisted expression → its value on a problem's arrays.

Used in: the grader only (``matgrad.book.grader``); no chapter imports it yet.

:func:`read` translates the book's notation (:mod:`matgrad.book.notation`), parses the result
with ``ast.parse(mode="eval")`` and checks every node against a whitelist: the question's
names, numbers, ``+ - * / @``, ``**`` with a small constant exponent, ``.T``, and calls of the
functions in :data:`matgrad.book.notation.NUMPY_FUNCTIONS` with the keywords ``axis=`` and
``keepdims=`` only. What passes becomes a tree of small functions written here (never
``eval``, ``exec`` or ``compile`` of the reader's text), which :meth:`Expression.evaluate`
runs on a problem's arrays. Every step is bounded: the text's length, the number of nodes and
their depth, every constant, every exponent, and the size of every intermediate array, which is
predicted from the operands' shapes *before* numpy computes it; evaluation also stops at a
wall-clock budget.

Arrays are at most 2-D, in the book's column convention (``g`` is ``n_k × 1``). A product or
sum whose shapes clash raises :class:`ShapeClash`, whose message is numpy's error in the
reader's terms; anything that cannot be read raises :class:`~matgrad.book.notation.Invalid`.
"""

from __future__ import annotations

import ast
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matgrad.book.notation import (
    BARE_FUNCTIONS,
    LINALG_FUNCTIONS,
    NAMES_HELP,
    NUMPY_FUNCTIONS,
    Invalid,
    Symbol,
    translate,
)

MAX_NODES = 120
"""Nodes of the parsed expression: ``g @ h.T + lam * W`` has 10."""
MAX_DEPTH = 24
"""How deeply the parsed expression may nest (a chain ``g.T.T.T…`` counts one per ``.T``)."""
MAX_CONSTANT = 1e6
"""The largest number an answer may write (a scale like ``1/2`` or ``0.5`` needs no more)."""
MAX_EXPONENT = 4
"""``A ** e`` only for a constant ``|e| ≤ 4`` (``f(a)**2``, ``x**-1``, ``x**0.5``)."""
MAX_ELEMENTS = 10_000
"""Entries of any array an answer may build (the problems' arrays have a few dozen)."""
BUDGET = 0.25
"""Seconds one evaluation may take (a correct answer takes microseconds)."""

Value = np.ndarray | float
_ELEMENTWISE = {
    name: getattr(np, name)
    for name in ("exp", "log", "tanh", "cosh", "sqrt", "abs", "sign", "square")
}
_BINARY = {"multiply": np.multiply, "add": np.add, "subtract": np.subtract, "divide": np.divide}
_OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_SIGNS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_REFUSED = {  # why a kind of node is not read, for the ones a reader may try
    ast.Lambda: "`lambda` defines a function; write the expression only",
    ast.ListComp: "comprehensions are not read; a gradient is one expression of the names",
    ast.GeneratorExp: "comprehensions are not read; a gradient is one expression of the names",
    ast.NamedExpr: "`:=` assigns; write the expression only",
    ast.JoinedStr: "text (f-strings) is not read; write an expression of the names",
    ast.Starred: "`*` before an argument unpacks it; pass the arrays themselves",
    ast.Subscript: "indexing like g[0] is not read: a gradient is a whole array",
    ast.Compare: "comparisons are not part of a gradient",
    ast.IfExp: "`if … else` is not part of a gradient",
    ast.Tuple: "tuples are not read (np.sum takes axis=0 or axis=1, one number)",
}


class ShapeClash(ValueError):
    """The answer combines arrays whose shapes do not fit; the message says which and why."""


def shape_text(shape) -> str:
    """``(3, 5)`` → ``"3 × 5"``; a number's shape ``()`` → ``"a number"``."""
    return " × ".join(map(str, shape)) if shape else "a number"


@dataclass(frozen=True)
class Expression:
    """A checked answer: ``text`` as typed, ``python`` the numpy expression it was read as,
    ``names`` the question's names it uses."""

    text: str
    python: str
    names: frozenset[str]
    _run: Callable[[dict], Value]

    def evaluate(self, values: dict[str, object], *, budget: float = BUDGET) -> Value:
        """The answer's value for ``values`` (name → array, number or function), computed in
        float64. Raises :class:`ShapeClash` for shapes that do not fit, :class:`Invalid`
        for an array over :data:`MAX_ELEMENTS` entries or a run over ``budget`` seconds."""
        env = dict(values)
        env["<deadline>"] = time.perf_counter() + budget
        try:
            with np.errstate(all="ignore"):  # inf and NaN are the grader's to report
                return self._run(env)
        except (ShapeClash, Invalid):
            raise
        except (ArithmeticError, ValueError, TypeError, np.linalg.LinAlgError) as error:
            # Whatever numpy refuses that the checks above did not foresee: never a crash.
            raise Invalid(f"numpy could not compute it ({type(error).__name__}: {error})") from None


def read(text: str, symbols: tuple[Symbol, ...]) -> Expression:
    """Translate, parse and check ``text`` for a question's ``symbols``; raises
    :class:`Invalid` with a message saying what was not understood and how to write it."""
    source = translate(text, symbols)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise Invalid(f"the answer could not be read as one expression: {NAMES_HELP}") from None
    nodes, deepest, stack = 0, 0, [(tree, 1)]
    while stack:  # iterative: a hostile nesting must not exhaust Python's own stack
        node, depth = stack.pop()
        nodes, deepest = nodes + 1, max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    if nodes > MAX_NODES or deepest > MAX_DEPTH:
        raise Invalid(
            f"the answer is too long or nests too deeply ({nodes} parts, {deepest} levels; "
            f"at most {MAX_NODES} and {MAX_DEPTH}): a gradient here is a short expression"
        )
    by_name = {symbol.name: symbol for symbol in symbols}
    used = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in by_name)
    return Expression(text, ast.unparse(tree), used, _Compiler(by_name).node(tree.body))


def _tick(env: dict) -> None:
    if time.perf_counter() > env["<deadline>"]:
        raise Invalid(f"the answer took more than {BUDGET} s to evaluate")


def _fits(shape: tuple[int, ...], what: str) -> tuple[int, ...]:
    """Refuse, before numpy allocates it, an array that is too large (or more than 2-D)."""
    if math.prod(shape) > MAX_ELEMENTS or len(shape) > 2:
        raise Invalid(
            f"{what} would be {shape_text(shape)}: more than the {MAX_ELEMENTS:,} entries (and 2 "
            "dimensions) any array of a gradient here needs"
        )
    return shape


def _broadcast(a: Value, b: Value, what: str, sign: str) -> tuple[int, ...]:
    try:
        return _fits(np.broadcast_shapes(np.shape(a), np.shape(b)), what)
    except ValueError:
        raise ShapeClash(
            f"`{what}` combines {shape_text(np.shape(a))} and {shape_text(np.shape(b))} entry "
            f"by entry ({sign}): that needs equal shapes, or 1 where one of them repeats"
        ) from None


def _matmul_shape(a: Value, b: Value, what: str) -> tuple[int, ...]:
    """The shape of ``a @ b`` (numpy's rules for 1-D and 2-D), or a ShapeClash saying why not."""
    sa, sb = np.shape(a), np.shape(b)
    if not sa or not sb:
        raise ShapeClash(
            f"`{what}` is a matrix product with a number ({shape_text(sa)} @ {shape_text(sb)}); "
            "a number multiplies with *, as in lam * W"
        )
    inner_a, inner_b = sa[-1], sb[0]
    if inner_a != inner_b:
        raise ShapeClash(
            f"`{what}` multiplies {shape_text(sa)} by {shape_text(sb)}: a matrix product needs "
            f"as many columns on the left ({inner_a}) as rows on the right ({inner_b})"
        )
    return _fits(sa[:-1] + sb[1:], what)


class _Compiler:
    """Checks each node against the whitelist and returns a function of the environment."""

    def __init__(self, by_name: dict[str, Symbol]):
        self.by_name = by_name

    def node(self, node: ast.AST) -> Callable[[dict], Value]:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            why = _REFUSED.get(type(node), f"`{ast.unparse(node)[:40]}` is not read")
            raise Invalid(f"{why}; {NAMES_HELP}")
        return method(node)

    def _Constant(self, node: ast.Constant):
        value = node.value
        if type(value) not in (int, float) or not abs(value) <= MAX_CONSTANT:
            raise Invalid(
                f"`{ast.unparse(node)[:40]}`: an answer may write plain numbers up to "
                f"{MAX_CONSTANT:.0e} (no text, no complex numbers)"
            )
        number = float(value)
        return lambda env: number

    def _Name(self, node: ast.Name):
        symbol = self.by_name.get(node.id)
        if (symbol and symbol.function) or node.id in BARE_FUNCTIONS:
            raise Invalid(f"`{node.id}` is a function here: call it, as in {node.id}(...)")
        if symbol is None:  # np or numpy on its own
            raise Invalid(f"`{node.id}` is numpy: use one of its functions, like np.outer(g, h)")
        name = node.id
        return lambda env: env[name]

    def _UnaryOp(self, node: ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise Invalid(f"`{ast.unparse(node)[:40]}` is not read: {NAMES_HELP}")
        operand = self.node(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        return lambda env: np.negative(operand(env))

    def _Attribute(self, node: ast.Attribute):
        if node.attr != "T":
            raise Invalid(f"`{ast.unparse(node)[:40]}` must be called, as in np.outer(g, h)")
        value = self.node(node.value)
        return lambda env: np.transpose(value(env))

    def _BinOp(self, node: ast.BinOp):
        what = ast.unparse(node)
        left, right = self.node(node.left), self.node(node.right)
        if isinstance(node.op, ast.Pow):
            exponent = _constant(node.right)
            if exponent is None or abs(exponent) > MAX_EXPONENT:
                raise Invalid(
                    f"`{what[:40]}`: a power needs a small constant exponent, like ** 2 or ** -1"
                )
            return lambda env: np.power(left(env), exponent)
        if isinstance(node.op, ast.MatMult):

            def matmul(env):
                a, b = left(env), right(env)
                _matmul_shape(a, b, what)
                _tick(env)
                return np.matmul(a, b)

            return matmul
        function, sign = _OPERATORS.get(type(node.op)), _SIGNS.get(type(node.op))
        if function is None:
            raise Invalid(f"`{what[:40]}`: the operations read are + - * / @ and **")

        def entrywise(env):
            a, b = left(env), right(env)
            _broadcast(a, b, what, sign)
            _tick(env)
            return function(a, b)

        return entrywise

    def _List(self, node: ast.List):
        def number(item):
            value = _constant(item)
            if value is None:
                raise Invalid("a list in an answer may hold numbers only, like [[0.5], [1]]")
            return value

        rows = [
            [number(x) for x in row.elts] if isinstance(row, ast.List) else number(row)
            for row in node.elts
        ]
        try:
            array = np.array(rows, dtype=np.float64)
        except ValueError:
            raise Invalid("the rows of a list of lists need equal lengths") from None
        _fits(array.shape, "the list")
        return lambda env: array

    def _Call(self, node: ast.Call):
        what, name = ast.unparse(node), _function_name(node.func)
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
            keyword.arg is None for keyword in node.keywords
        ):
            raise Invalid(_REFUSED[ast.Starred] + f"; {NAMES_HELP}")
        if name in BARE_FUNCTIONS:
            name = f"np.{name}"
        symbol = self.by_name.get(name)
        if name is None or not (name.startswith("np.") or (symbol and symbol.function)):
            raise Invalid(f"`{what[:40]}` calls something that is not read: {NAMES_HELP}")
        short = name.removeprefix("np.").removeprefix("linalg.")
        if name == "np.array":
            if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.List):
                raise Invalid("np.array takes one list of numbers here, like np.array([[1], [2]])")
            return self._List(node.args[0])
        options = _options(node, what) if short in ("sum", "mean") else {}
        if node.keywords and short not in ("sum", "mean"):
            raise Invalid(f"`{what[:40]}`: only np.sum and np.mean take keywords here")
        arity = 2 if short in ("outer", "dot", "matmul", *_BINARY) else 1
        if len(node.args) != arity:
            axis = " (the axis as axis=1)" if short in ("sum", "mean") else ""
            raise Invalid(f"`{what[:40]}`: {name} takes {arity} argument(s) here{axis}")
        args = [self.node(arg) for arg in node.args]
        apply = self._function(name, short, what, options)

        def call(env):
            values = [arg(env) for arg in args]
            _tick(env)
            return apply(env, *values)

        return call

    def _function(self, name: str, short: str, what: str, options: dict):
        """The function a call runs: it checks its operands' shapes, then computes."""
        if name in self.by_name:  # the question's elementwise function (f, f′, softmax)
            return lambda env, a: np.asarray(env[name](np.asarray(a, dtype=np.float64)))
        if name.startswith("np.linalg."):
            return _inverse(short, what)
        if short in _ELEMENTWISE:
            return lambda env, a: _ELEMENTWISE[short](a)
        if short == "transpose":
            return lambda env, a: np.transpose(a)
        if short in ("sum", "mean"):
            reduce = np.sum if short == "sum" else np.mean
            return lambda env, a: _reduce(reduce, a, what, options)

        def binary(env, a, b):
            if short == "outer":
                _fits((np.size(a), np.size(b)), what)
                return np.outer(a, b)
            # np.dot of a number is a product; of 1-D and 2-D arrays it is np.matmul.
            if short in _BINARY or (short == "dot" and not (np.ndim(a) and np.ndim(b))):
                _broadcast(a, b, what, short)
                return _BINARY.get(short, np.multiply)(a, b)
            _matmul_shape(a, b, what)
            return np.matmul(a, b)

        return binary


def _inverse(short: str, what: str):
    def invert(env, a):
        shape = np.shape(a)
        if len(shape) != 2 or (short == "inv" and shape[0] != shape[1]):
            raise ShapeClash(
                f"`{what}`: the argument is {shape_text(shape)}, and only a square matrix has an "
                "inverse (a transpose Wᵀ exists for every shape)"
            )
        try:
            return np.linalg.inv(a) if short == "inv" else np.linalg.pinv(a)
        except np.linalg.LinAlgError:
            raise ShapeClash(f"`{what}`: the matrix is singular, it has no inverse") from None

    return invert


def _reduce(reduce, a: Value, what: str, options: dict) -> Value:
    axis = options.get("axis")
    if axis is not None and not -np.ndim(a) <= axis < np.ndim(a):
        raise ShapeClash(f"`{what}`: axis {axis} does not exist in {shape_text(np.shape(a))}")
    return reduce(a, axis=axis, keepdims=options.get("keepdims", False))


def _options(node: ast.Call, what: str) -> dict:
    """np.sum's and np.mean's keywords: axis= 0, 1, -1, -2 or None, and keepdims= a bool."""
    options = {}
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg == "keepdims" and isinstance(value, ast.Constant):
            if isinstance(value.value, bool):
                options["keepdims"] = value.value
                continue
        elif keyword.arg == "axis":
            number = None if _is_none(value) else _constant(value)
            if not (_is_none(value) or number in (0, 1, -1, -2)):
                raise Invalid(f"`{what[:40]}`: axis= takes 0, 1, -1, -2 or None")
            options["axis"] = None if number is None else int(number)
            continue
        raise Invalid(f"`{what[:40]}`: np.sum and np.mean take axis= (a number) and keepdims=True")
    return options


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _constant(node: ast.AST) -> float | None:
    """The value of a (signed) plain number, else None."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign, node = (-1.0 if isinstance(node.op, ast.USub) else 1.0), node.operand
    plain = isinstance(node, ast.Constant) and type(node.value) in (int, float)
    return sign * float(node.value) if plain and abs(node.value) <= MAX_CONSTANT else None


def _function_name(func: ast.AST) -> str | None:
    """``np.outer`` (also for ``numpy.outer``), ``np.linalg.inv``, ``f``; None for others."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    parts.append("np" if func.id == "numpy" else func.id)
    name = ".".join(reversed(parts))
    known = {f"np.{n}" for n in NUMPY_FUNCTIONS} | {f"np.linalg.{n}" for n in LINALG_FUNCTIONS}
    return name if name in known or "." not in name else None
