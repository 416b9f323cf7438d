"""A typed answer in the book's notation, translated to the numpy expression it means.

Used in: the grader only (``matgrad.book.grader`` reads answers through
``matgrad.book.answers``); no chapter imports it yet.

The reader may write numpy (``g @ h.T + lam * W``) or the book's notation (``g hᵀ + λ W``,
``W(k)ᵀ g``, ``g ⊙ f′(a)``). :func:`translate` turns the notation into Python source, token
by token; it never evaluates anything, and :mod:`matgrad.book.answers` parses and checks what
comes out before anything is computed. The notation it reads:

=====================================  =========================================
typed                                  read as
=====================================  =========================================
``A B`` (juxtaposition), ``A · B``,     ``A @ B``, or ``A * B`` when either side is a
``A × B``                               number (``λ W``, ``2 λ W``, ``(1/m) G Hᵀ``)
``Aᵀ``, ``A^T``, ``A'``, ``A⊤``         ``A.T`` (the prime is MATLAB's transpose)
``f′(a)``, ``f'(a)``                    ``fprime(a)``: the derivative, for a function that has one
``A ⊙ B``, ``A ∘ B``                    ``A * B`` (entrywise)
``A⁻¹``, ``A^-1``, ``A^(-1)``           ``np.linalg.inv(A)``
``A²``, ``A^2``                         ``A ** 2``
``λ``, ``ŷ``, ``½``, ``−``              ``lam``, ``yhat``, ``(1/2)``, ``-``
``h(k-1)``, ``h^(k-1)``, ``h_{k-1}``    the name the question lists (``h``)
=====================================  =========================================

Only ASCII and those symbols are read: a look-alike letter (Cyrillic ``а``, fullwidth ``ｇ``)
is refused by name, never normalized into a Latin one, so that what is graded is what the
reader sees.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass

MAX_LENGTH = 300
"""Characters an answer may have: a gradient of Algorithm 6.4 takes a few dozen."""
MAX_PARENTHESES = 12
"""How deeply brackets may nest."""

PRODUCT = "<product>"  # juxtaposition, · or ×: @ or *, decided once both sides are known
SYMBOLS = "ᵀ⊤⊙∘·×λŷ½−′’⁻¹²"
"""The non-ASCII characters of the notation; any other non-ASCII character is refused."""
_REPLACE = {
    "−": "-",
    "λ": " lam ",
    "ŷ": " yhat ",
    "½": " (1/2) ",
    "⊤": "ᵀ",
    "∘": "⊙",
    "′": "'",
    "’": "'",
}
_POSTFIX = [  # LaTeX-like superscripts, read before the tokens
    (re.compile(r"\^\s*(?:\{\s*(?:T|ᵀ)\s*\}|T|ᵀ)(?![A-Za-z0-9_])"), "ᵀ"),
    (re.compile(r"\^\s*(?:\{\s*-\s*1\s*\}|\(\s*-\s*1\s*\)|-\s*1(?![0-9.]))"), "⁻¹"),
]
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/@()\[\],=.'^ᵀ²⊙·×]|⁻¹)"
)
_CHARACTERS = {
    ":": "`:` (as in `lambda x: ...`, `a[1:2]` or `:=`) is not part of a gradient expression",
    '"': "quotes start text, and an answer is an expression of the question's names, not text",
    "{": "braces are not read (write h(k-1) or h_{k-1} for a layer's name, and ^T or ᵀ for "
    "a transpose)",
    "\\": "LaTeX commands are not read: type ᵀ or ^T, ⊙ or *, λ or lam",
    ";": "write one expression, without `;`",
    "#": "comments are not read",
}
_NOT_READ = {
    "∇": "write each gradient out in the question's names (its prompt gives ∇W Ω)",
    "Ω": "write ∇W Ω out in the question's names (the prompt gives it)",
    "∂": "write each gradient out in the question's names",
    "∑": "write sums as matrix products or np.sum(..., axis=...)",
}
NAMES_HELP = (
    "write the expression only, in numpy (`@` for a matrix product, `*` entrywise, `.T` to "
    "transpose, `lam` for λ) or in the book's notation (`A Bᵀ`, `λ A`, `A ⊙ B`)"
)


class Invalid(ValueError):
    """An answer that cannot be read; the message says what was not understood and why."""


@dataclass(frozen=True)
class Symbol:
    """A name a question lets the reader use: an array, a number or an elementwise function.

    ``name`` is the Python identifier the expression uses (``"h"``); ``book`` the book's
    name (``"h(k-1)"``); ``spellings`` other ways to type it (``"h(k-1)"``, ``"h_prev"``),
    where a spelling like ``base(index)`` also reads as ``base^(index)`` and
    ``base_{index}``. ``prime`` names a function's derivative (``f`` → ``"fprime"``).
    """

    name: str
    book: str
    meaning: str
    spellings: tuple[str, ...] = ()
    scalar: bool = False
    function: bool = False
    prime: str | None = None


NUMPY_FUNCTIONS = (
    *("outer", "dot", "matmul", "transpose", "sum", "mean", "multiply", "add", "subtract"),
    *("divide", "exp", "log", "tanh", "cosh", "sqrt", "abs", "sign", "square", "array"),
)
"""The ``np.`` functions an answer may call (and ``np.linalg.inv``, ``np.linalg.pinv``)."""
LINALG_FUNCTIONS = ("inv", "pinv")
BARE_FUNCTIONS = ("exp", "log", "tanh", "sqrt")
"""Functions the notation may call without ``np.``."""
KEYWORDS = ("axis", "keepdims")


def _spelling_pattern(spelling: str) -> str:
    """A regular expression for ``h(k-1)``: also ``h^(k-1)``, ``h^{(k-1)}``, ``h_{k-1}``."""
    layered = re.fullmatch(r"([A-Za-z]+)\((.+)\)", spelling)
    if not layered:
        return rf"(?<![\w.]){re.escape(spelling)}(?!\w)"
    base, index = layered.groups()
    index = r"\s*".join(re.escape(part) for part in re.findall(r"\w+|\S", index))
    return (
        rf"(?<![\w.]){base}\s*(?:\^\s*\{{\s*\(\s*{index}\s*\)\s*\}}|\^?\s*\(\s*{index}\s*\)"
        rf"|_\{{\s*{index}\s*\}})"
    )


def _refuse_characters(text: str) -> None:
    for character in text:
        if (character.isascii() and character.isprintable()) or character.isspace():
            continue  # ASCII that is not part of an expression is refused as a token
        if character in SYMBOLS:
            continue
        name = unicodedata.name(character, f"U+{ord(character):04X}")
        if character.isalpha():
            raise Invalid(
                f"`{character}` ({name}) looks like a letter but is not a plain Latin one; "
                "type the names in plain Latin letters, as the question lists them"
            )
        raise Invalid(
            f"`{character}` ({name}) is not part of the notation the grader reads: "
            + _NOT_READ.get(character, NAMES_HELP)
        )


def translate(text: str, symbols: tuple[Symbol, ...]) -> str:
    """The Python source of the numpy expression ``text`` means, for a question's ``symbols``.

    Raises :class:`Invalid` for anything that is not an expression of those names: unknown
    names, keywords, names with leading underscores, quotes, attributes other than ``.T``
    and the listed ``np.`` functions, brackets nested deeper than
    :data:`MAX_PARENTHESES`, and more than :data:`MAX_LENGTH` characters.
    """
    if len(text) > MAX_LENGTH:
        raise Invalid(
            f"the answer has {len(text):,} characters; a gradient takes a few dozen (at most "
            f"{MAX_LENGTH} are read)"
        )
    if not text.strip():
        raise Invalid(f"the answer is empty: {NAMES_HELP}")
    _refuse_characters(text)
    for old, new in _REPLACE.items():
        text = text.replace(old, new)
    for pattern, new in _POSTFIX:
        text = pattern.sub(new, text)
    by_name = {symbol.name: symbol for symbol in symbols}
    for symbol in symbols:
        for spelling in sorted(symbol.spellings, key=len, reverse=True):
            text = re.sub(_spelling_pattern(spelling), f" {symbol.name} ", text)
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            _refuse_words(tokens, symbols)  # a keyword before it says more
            _rewrite(tokens, by_name)  # and so does an unknown name
            character = text[position]
            raise Invalid(_CHARACTERS.get(character, f"`{character}` is not read: {NAMES_HELP}"))
        position = match.end()
        if match.lastgroup == "name":
            tokens += _split_letters(match.group(), tokens, by_name)
        elif match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
    _refuse_words(tokens, symbols)
    return " ".join(_resolve_products(_rewrite(tokens, by_name), by_name))


def _split_letters(word: str, tokens: list, by_name: dict[str, Symbol]) -> list[tuple[str, str]]:
    """``ghᵀ`` as ``g hᵀ``: a word that is not a name but spells one-letter names only."""
    attribute = bool(tokens) and tokens[-1][1] == "."
    letters = {name for name, symbol in by_name.items() if len(name) == 1 and not symbol.function}
    if attribute or word in by_name or len(word) < 2 or not set(word) <= letters:
        return [("name", word)]
    return [("name", letter) for letter in word]


def _rewrite(tokens: list[tuple[str, str]], by_name: dict[str, Symbol]) -> list[str]:
    """The tokens in Python: names checked, postfix notation and juxtaposition rewritten."""
    out: list[str] = []
    depth = 0
    for index, (kind, token) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "name":
            _check_name(token, out, following, by_name)
        # Juxtaposition is a product, except a call f(a); g[0] stays an index (refused later).
        starts = kind in ("name", "number") or token == "("
        if starts and _ends_operand(out) and not (token == "(" and _ends_callable(out, by_name)):
            out.append(PRODUCT)
        if token in ("(", "["):
            depth += 1
            if depth > MAX_PARENTHESES:
                raise Invalid(f"brackets nest more than {MAX_PARENTHESES} deep")
        elif token in (")", "]"):
            depth -= 1
        if token == "ᵀ":
            _need_operand(out, "ᵀ (a transpose) must follow what it transposes, as in hᵀ")
            out += [".", "T"]
        elif token == "'":
            if out and out[-1] in by_name and by_name[out[-1]].prime:
                out[-1] = by_name[out[-1]].prime  # f′: the derivative
            else:
                _need_operand(out, _CHARACTERS['"'] + " (a ' transposes what it follows, h')")
                out += [".", "T"]
        elif token == "⁻¹":
            _need_operand(out, "⁻¹ (an inverse) must follow what it inverts, as in W⁻¹")
            start = _operand_start(out, len(out) - 1)
            out[start:] = ["np", ".", "linalg", ".", "inv", "(", *out[start:], ")"]
        elif token == "²":
            _need_operand(out, "² must follow what it squares, as in f(a)²")
            out += ["**", "2"]
        elif token == "^":
            out.append("**")
        elif token in ("·", "×"):
            out.append(PRODUCT)
        else:
            out.append({"⊙": "*"}.get(token, token))
    return out


def names_text(symbols) -> str:
    """The names a question lists, as the book writes them: ``g, h(k-1) (h), λ (lam)``."""
    return ", ".join(
        f"{symbol.book} ({symbol.name})" if symbol.name != symbol.book else symbol.name
        for symbol in symbols
    )


def _refuse_words(tokens: list[tuple[str, str]], symbols) -> None:
    """Keywords and underscored names first, whatever comes before them: they say the most."""
    for index, (kind, token) in enumerate(tokens):
        after_equals = index > 0 and tokens[index - 1][1] == "="
        if kind != "name" or (token in ("True", "False", "None") and after_equals):
            continue
        if token.startswith("_"):
            raise Invalid(
                f"`{token[:30]}`: names that start with an underscore reach Python's internals, "
                f"not the question's arrays; the names here are {names_text(symbols)}"
            )
        if keyword.iskeyword(token):
            raise Invalid(
                _KEYWORDS.get(token, f"`{token}` is a Python keyword") + f": {NAMES_HELP}"
            )


_KEYWORDS = {
    "lambda": "`lambda` is Python's keyword for a function, not λ (type λ as `lam` or `λ`, "
    "like `lam * W`)",
    "for": "`for` makes a loop or a comprehension, which an answer does not need",
    "import": "`import` is not part of a gradient (np and numpy are already there)",
}


def _check_name(token: str, out: list[str], following: str, by_name: dict[str, Symbol]) -> None:
    attribute = bool(out) and out[-1] == "."
    if token in ("True", "False", "None") and out and out[-1] == "=":
        return
    if attribute:
        before = out[-2] if len(out) > 1 else ""
        allowed = (
            (LINALG_FUNCTIONS if before == "linalg" else (*NUMPY_FUNCTIONS, "linalg"))
            if before in ("np", "numpy", "linalg")
            else ("T",)
        )
        if token not in allowed:
            what = f"{before}.{token}" if before in ("np", "numpy", "linalg") else f".{token}"
            listed = ", ".join(f"np.{name}" for name in (*NUMPY_FUNCTIONS, "linalg.inv"))
            raise Invalid(
                f"`{what}` is not read: the only attribute of an array read here is `.T` (the "
                f"transpose), and the functions are {listed} and np.linalg.pinv"
            )
        return
    if token in by_name or token in BARE_FUNCTIONS or token in ("np", "numpy"):
        return
    if following == "=":
        if token in KEYWORDS:
            return
        raise Invalid(
            f"`{token[:30]}=`: the only keywords read are axis= and keepdims= (of np.sum and "
            "np.mean)"
        )
    raise Invalid(
        f"`{token[:30]}` is not a name of this question; the names here are "
        f"{names_text(by_name.values())}"
    )


def _ends_operand(out: list[str]) -> bool:
    return (
        bool(out)
        and (out[-1] in (")", "]") or re.fullmatch(r"[\w.]+", out[-1]) is not None)
        and (out[-1] != ".")
    )


def _ends_callable(out: list[str], by_name: dict[str, Symbol]) -> bool:
    """Whether ``(`` after ``out`` opens a call: after a function's name, ``np.f``, or ``)``
    of a call is a product, but after ``f``, ``np.outer`` or ``exp`` it is a call."""
    last = out[-1]
    if len(out) > 1 and out[-2] == "." and last != "T":
        return True
    symbol = by_name.get(last)
    return (symbol is not None and symbol.function) or last in BARE_FUNCTIONS


def _need_operand(out: list[str], message: str) -> None:
    if not _ends_operand(out):
        raise Invalid(message)


def _matching(out: list[str], index: int, step: int) -> int:
    """The index of the bracket that matches ``out[index]``, walking by ``step``."""
    depth = 0
    while 0 <= index < len(out):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(out[index], 0) * step
        if depth == 0:
            return index
        index += step
    raise Invalid("brackets do not match: every ( needs its )")


def _operand_start(out: list[str], end: int) -> int:
    """Where the primary that ends at ``out[end]`` starts: a name or number with its
    attributes, calls and brackets (``np.linalg.inv(W)``, ``(g h)``, ``W.T``)."""
    index = end
    while True:
        if out[index] in (")", "]"):
            index = _matching(out, index, -1)
            if index > 0 and _ends_operand(out[:index]) and out[index - 1] != PRODUCT:
                index -= 1  # the function (or array) that this bracket calls
                continue
            return index
        if index >= 2 and out[index - 1] == ".":
            index -= 2
            continue
        return index


def _operand_end(out: list[str], start: int) -> int:
    """Where the primary that starts at ``out[start]`` ends (the mirror of the above)."""
    index = start
    while True:
        if out[index] in ("(", "["):
            index = _matching(out, index, 1)
        if index + 2 < len(out) and out[index + 1] == ".":
            index += 2
        elif index + 1 < len(out) and out[index + 1] in ("(", "["):
            index += 1
        else:
            return index


def _resolve_products(out: list[str], by_name: dict[str, Symbol]) -> list[str]:
    """Each juxtaposition, ``·`` or ``×`` becomes ``*`` when a side is a number, else ``@``."""
    scalars = {name for name, symbol in by_name.items() if symbol.scalar}

    def scalar(part: list[str]) -> bool:
        names = [t for i, t in enumerate(part) if t[0].isalpha() and (i == 0 or part[i - 1] != ".")]
        return all(name in scalars for name in names)

    for index, token in enumerate(out):
        if token != PRODUCT:
            continue
        if index == 0 or index + 1 >= len(out) or not _ends_operand(out[:index]):
            raise Invalid("a product needs something on both sides")
        left = out[_operand_start(out, index - 1) : index]
        right = out[index + 1 : _operand_end(out, index + 1) + 1]
        out[index] = "*" if scalar(left) or scalar(right) else "@"
    return out
