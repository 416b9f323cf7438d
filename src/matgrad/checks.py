"""Gradient checking: backpropagation (Algorithm 6.4) against finite differences.

The relative error of a claimed gradient ``A`` against a numerical one ``N``, for one
parameter array, is

    rel(A, N) = max_ij |A_ij − N_ij| / max(max_ij |A_ij| + max_ij |N_ij|, tiny)

with ``tiny`` the dtype's smallest normal number (so two zero gradients agree). It is
the familiar ``|A − N| / (|A| + |N|)``, scaled by the array's largest entry rather than
entry by entry: an entry that happens to be near zero is swamped by rounding in *both*
methods, and dividing by it would raise false alarms on correct code.

A check must never say PASS when it cannot tell, so each parameter gets one of three
verdicts. Alongside ``N`` the check bounds what it cannot see, the **uncertainty** ``u``
(relative, like the error): the rounding error of the differences (a probabilistic bound on
the rounding of the cost, :func:`~matgrad.rounding.cost_rounding`, divided by the step) and
their truncation error (estimated from a second difference at twice the step), and the
rounding error that computing ``A`` itself makes (bounded by a running error bound in float64,
:func:`~matgrad.rounding.derivative_rounding`; for a float32 network measured against float64,
and at least float32's typical rounding there, see :func:`backprop_rounding`). With ``τ`` the
tolerance of the differences and the parameter's tolerance ``t = τ + u``:

* **FAIL** when ``rel > t``: ``A`` is further from ``N`` than any correct gradient can be;
* **UNRESOLVED** otherwise, when ``u >`` :data:`RESOLUTION` or ``rel + u >``
  :data:`AGREEMENT`: the differences cannot tell a correct gradient from one that is off by
  a few per cent (a gradient below what they resolve, a float32 gradient whose own rounding
  is that large, float32 forward differences whose ``τ`` is 5 %), or a step crossed a kink;
* **PASS** otherwise: ``A`` agrees with the true gradient to within ``rel + u ≤ 2 %``, so a
  gradient 5 % off never passes. Also when ``A`` and ``N`` are both exactly 0, the
  differences at twice the step are 0 too (to rounding) and no step crossed a kink, and
  backprop's bound says its 0 is exact (units dead, not saturated): the note says "J does
  not change when it moves".

A float32 network is checked against differences of a float64 copy of it (as
``torch.autograd.gradcheck`` insists on double precision), and its tolerance includes
float32's rounding of Algorithm 6.4. An unresolved parameter is checked again, where
possible, by differences that can resolve it, each held to its own tolerance (float64's):
float64 differences for float32 ones, complex step when ``J`` is analytic, a smaller step
where a step crossed a kink.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import NamedTuple

import numpy as np

from matgrad._text import decade_above, format_bounded, format_table, html_text, shape_text
from matgrad._validation import (
    boolean,
    choice,
    describe,
    finite_array,
    float_dtype,
    non_negative_int,
    numeric_array,
    positive_int,
)
from matgrad.finite_differences import (
    MEMORY_BUDGET,
    METHODS,
    ParameterCost,
    check_step,
    complex_dtype,
    cost_changes,
    default_step,
    numerical_gradient,
    parameter_scale,
    quotients,
    scaled_step,
)
from matgrad.functions import ProbabilityError
from matgrad.network import Gradients, backward, check_net
from matgrad.rounding import (
    adjoints,
    cost_rounding,
    derivative_rounding,
    forward_errors,
    magnitudes,
    probable_rounding,
)

PASS, FAIL, UNRESOLVED = "PASS", "FAIL", "UNRESOLVED"

METHOD_NAMES = {"forward": "forward", "central": "central", "complex": "complex step"}

ROW_HEADERS = ("parameter", "shape", "rel. error", "tolerance", "verdict")
"""The columns of :meth:`GradientCheckReport.rows`, one row per parameter."""

TOLERANCES = {
    # A correct gradient lands orders of magnitude below these; a wrong one far above.
    # Forward differences err by about ε^(1/2), central by ε^(2/3), complex step by ε.
    ("forward", np.dtype(np.float64)): 1e-5,
    ("central", np.dtype(np.float64)): 1e-7,
    ("complex", np.dtype(np.float64)): 1e-12,
    ("forward", np.dtype(np.float32)): 5e-2,
    ("central", np.dtype(np.float32)): 5e-3,
    ("complex", np.dtype(np.float32)): 1e-5,
}

NOISE_MARGIN = 10
"""How many times a method's error level its noise floor lies above, at least.

The error of a correct gradient is rounding and truncation noise, and which noise depends
on the CPU (SIMD kernels and BLAS builds sum in other orders): the book's chapters, run
with x86 kernels from SSE to AVX-512, print the same gradient's error as 5e-11 on one and
9e-11 on another, and reach about three times the level. Ten times the level, rounded up
to a power of ten, leaves that noise several times below the floor.
"""

RESOLUTION = 1e-2
"""The largest uncertainty (relative, like the error) at which a check still decides PASS."""

AGREEMENT = 2 * RESOLUTION
"""The largest ``rel + u`` at which a check still decides PASS.

``|A − T| ≤ |A − N| + |N − T|``, so a PASS vouches for agreement with the true gradient ``T``
to ``rel + u``: at most 2 % of ``max|A| + max|N|``, whatever the tolerance ``τ``. A gradient
off by 5 % of ``max|T|`` is ``5/2.05 ≈ 2.4`` % of that from ``T``: it never passes. A correct
gradient, whose error lies within ``u``, passes whenever ``u ≤`` :data:`RESOLUTION`.
"""

BACKPROP_MARGIN = 4
"""How many times float32's rounding of Algorithm 6.4 a claimed float32 gradient may carry.

Another implementation of the same formulas rounds differently; by a small factor. The factor
multiplies the larger of the rounding measured here and its typical size
(:func:`~matgrad.rounding.probable_rounding`): what this implementation happened to make can be
small by chance (a few roundings that cancel), what another makes need not be."""

SMALL_MOVE = 1e-4
"""How far a step may move a pre-activation before its truncation estimate is tested.

The truncation error of ``N`` is estimated from a second difference at twice the step, which
holds while the first term of the error dominates: for steps that move an ``a(k)`` by far
less than the scale on which ``f`` curves (order one). A larger step (one given, or the
default for a parameter far above 1) takes a third difference at four times the step, and
where the three do not behave as the first term says, the parameter is UNRESOLVED: its
error cannot be estimated, and must not be taken for a wrong gradient. So is a parameter
whose step moves a pre-activation by more than :data:`LARGE_MOVE`: three such differences
can agree by chance."""

LARGE_MOVE = 0.1
"""A step that moves a pre-activation by more than this is too large to estimate its error."""

CLAIM_ULPS = 8192
"""The rounding a claimed gradient of :func:`check` may carry and still PASS, in units of its
precision's ε times its largest entry: about 1e-3 for a float32 claim, what backprop in
float32 reaches where the gradient's condition number is 1e3 (a near fit of 1e-5); 2e-12 for
a float64 one, within complex step's tolerance. Beyond it a claim is UNRESOLVED, not FAIL,
as far as rounding in code the check cannot rerun may reach (:func:`_claim_rounding`)."""

COMPLEX_ULPS = 1024
"""Complex step's rounding in :func:`check`, in units of ε times the largest entry it measured
(plus ``|J|`` per unit of the input where an entry came out exactly 0)."""

NOISE_MARGIN_CLAIM = 128
"""How many times ``J``'s noise a float64 claim of :func:`check` may be off before it FAILs
(:func:`_claim_rounding`): backprop rounds each product and each slope as ``J`` does, and sums
a few more of them."""

NOISE_ULPS = 8
"""The least rounding :func:`cost_noise` assumes in ``J``, in units in its last place."""

PROGRESS_EVALUATIONS = 20_000
"""Evaluations of ``f`` above which :func:`check` shows a progress bar (its cost per
evaluation is unknown: this many take seconds for any ``f`` worth a bar)."""

PROGRESS_WORK = 2e9
"""Multiply-adds above which a check shows a progress bar (about two seconds of work)."""


def default_tolerance(method: str, dtype=np.float64) -> float:
    """The pass/fail threshold ``τ`` on :func:`relative_error` for a method and dtype.

    The dtype is that of the differences: float64 unless a float32 network is checked with
    ``in_float64=False``.
    """
    choice("method", method, METHODS)
    return TOLERANCES[(method, float_dtype("dtype", dtype))]


def noise_floor(method: str = "central", dtype=np.float64) -> float:
    """The bound below which an error against ``method`` differences in ``dtype`` prints as
    ``"< bound"`` (:meth:`ParameterCheck.error_text`).

    Against differences at the default step, a correct gradient's relative error is noise
    of about ``ε^(1/2)`` (forward), ``ε^(2/3)`` (central) or ``ε`` (complex step) for
    quantities of order one, with ``ε`` the dtype's machine epsilon. Its digits differ
    between CPUs; that it lies below a bound well above the noise does not. The floor is the
    power of ten above :data:`NOISE_MARGIN` times that level: ``1e-06``, ``1e-09`` and
    ``1e-14`` in float64, ``1e-02``, ``1e-03`` and ``1e-05`` in float32. The dtype is that
    of the differences.
    """
    choice("method", method, METHODS)
    eps = float(np.finfo(float_dtype("dtype", dtype)).eps)
    level = {"forward": eps ** (1 / 2), "central": eps ** (2 / 3), "complex": eps}[method]
    return decade_above(NOISE_MARGIN * level)


def _bounded_error(error: float, bound: float | None) -> str:
    """An error as :func:`~matgrad._text.format_bounded` prints it, but ``"noise"`` for a
    bound above 1: a relative error is at most 1, so such a bound says nothing, and the
    error is what the differences' noise made it (the row is UNRESOLVED)."""
    if bound is not None and bound > 1:
        return "noise"
    return format_bounded(error, bound)


def relative_error(A, N) -> float:
    """``max|A − N| / max(max|A| + max|N|, tiny)`` for two arrays of one shape."""
    A = finite_array("the claimed gradient", A)
    N = finite_array("the numerical gradient", N)
    if A.shape != N.shape:
        raise ValueError(
            f"the claimed and numerical gradients must have one shape, got {A.shape} and {N.shape}"
        )
    tiny = np.finfo(np.result_type(A.dtype, N.dtype, np.float32)).tiny
    scale = np.max(np.abs(A), initial=0.0) + np.max(np.abs(N), initial=0.0)
    return float(np.max(np.abs(A - N), initial=0.0) / max(scale, tiny))


@dataclass(kw_only=True)
class ParameterCheck:
    """The check of one parameter: the claimed and numerical gradients and the verdict.

    ``name`` is the parameter's label (``"W(1)"``, or an input's name in :func:`check`) and
    ``key`` what was differentiated, carried beside it: ``(name, k)`` for a network's
    ``W(k)`` or ``b(k)``, the input's name in :func:`check`. ``claimed`` and ``numerical``
    have the parameter's shape, or are the sampled entries (flat, indices in ``entries``)
    when the check took a sample; ``kinked`` counts the entries whose differences crossed a
    kink. ``uncertainty`` is ``u``, ``tolerance`` the parameter's ``t = τ + u``, ``method``
    and ``step`` the differences that decided. When the claimed gradient has the wrong shape
    (e.g. ``h gᵀ`` for a non-square ``W``) ``rel_error`` is ``inf`` and ``note`` says why.
    Built by keyword only: there are too many fields to pass by position.
    """

    name: str
    key: tuple[str, int] | str = field(repr=False)  # the name says it
    shape: tuple[int, ...]
    claimed: np.ndarray
    numerical: np.ndarray
    rel_error: float
    tolerance: float
    uncertainty: float
    verdict: str
    method: str
    step: float
    note: str = ""
    entries: np.ndarray | None = None
    kinked: int = 0
    bounds: _Bounds | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    @property
    def error_bound(self) -> float | None:
        """The bound :meth:`error_text` prints instead of ``rel_error``, or ``None``.

        An error that is noise prints as a bound, since its digits depend on the CPU: when
        the parameter did not FAIL and the error lies below the :func:`noise_floor` of its
        differences, that floor; otherwise, when it lies within the uncertainty ``u``, which
        bounds what rounding and truncation can make here (a deep layer, a float32 network,
        a step scaled or shrunk), the power of ten above ``u``. A FAIL's error is the
        measurement that decided, and an error above ``u`` is more than noise: ``None``,
        they print as their value.
        """
        error = self.rel_error
        if self.verdict == FAIL or not math.isfinite(error):
            return None
        floor = noise_floor(self.method, self.numerical.dtype)
        if error < floor:
            return floor
        if error <= self.uncertainty < math.inf:
            return decade_above(self.uncertainty)
        return None

    def error_text(self) -> str:
        """``rel_error`` to one significant digit, ``"< bound"`` (:attr:`error_bound`), or
        ``"noise"`` when that bound is above 1 (:func:`_bounded_error`)."""
        return _bounded_error(self.rel_error, self.error_bound)

    def tolerance_text(self) -> str:
        """``tolerance`` to one digit while ``u`` leaves the digit of ``τ``, else ``"τ + u"``.

        ``t = τ + u``, and ``u`` is partly measured (float32's rounding of backprop, the
        truncation estimate), so its digits differ between CPUs, by a factor of two for a
        float32 network: too much for any bound drawn from it to hold everywhere. While ``t``
        rounds to the digit of ``τ`` it prints as that (``1e-07``); when ``u`` would change
        the digit, the text names ``u`` instead of printing it (``"1e-07 + u"``).
        """
        t = self.tolerance
        text = f"{t:.0e}"
        tau = f"{t - self.uncertainty:.0e}"
        if not math.isfinite(t) or text == tau:
            return text
        return f"{tau} + u"


@dataclass
class GradientCheckReport:
    """The outcome of :func:`gradient_check`: one :class:`ParameterCheck` per ``W(k)``, ``b(k)``.

    ``step`` is the base step (for quantities of order one; each parameter's own is in its
    check), ``tolerance`` the method's ``τ``, ``details`` what a reader of the verdict needs
    to know about how it was reached (precision, sample).
    """

    method: str
    step: float
    tolerance: float
    checks: list[ParameterCheck]
    details: list[str]

    @property
    def max_rel_error(self) -> float:
        return max(check.rel_error for check in self.checks)

    @property
    def verdict(self) -> str:
        """FAIL if any parameter fails, else UNRESOLVED if any is unresolved, else PASS."""
        verdicts = {check.verdict for check in self.checks}
        return FAIL if FAIL in verdicts else UNRESOLVED if UNRESOLVED in verdicts else PASS

    @property
    def passed(self) -> bool:
        """True only when every parameter PASSes."""
        return self.verdict == PASS

    def __getitem__(self, name: str) -> ParameterCheck:
        if not isinstance(name, str):
            raise TypeError(f"a report is indexed by a parameter's name like 'W(1)', got {name!r}")
        for check in self.checks:
            if check.name == name:
                return check
        names = ", ".join(check.name for check in self.checks)
        raise KeyError(f"no parameter {name!r}; the report has {names}")

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(parameter, shape, relative error, tolerance, verdict) for every parameter.

        Numbers show one significant digit, and an error that is noise shows as the bound it
        lies below (:meth:`ParameterCheck.error_text`, :meth:`ParameterCheck.tolerance_text`):
        its digits differ between CPUs and BLAS builds, and stored notebook outputs must not.
        """
        return [
            (
                check.name,
                shape_text(check.shape),
                check.error_text(),
                check.tolerance_text(),
                check.verdict + (f" ({check.note})" if check.note else ""),
            )
            for check in self.checks
        ]

    def _max_error_bound(self) -> float | None:
        """The bound :meth:`max_error_text` prints, or ``None`` when it prints the value."""
        worst = max(self.checks, key=lambda check: check.rel_error)
        if worst.error_bound is None:
            return None
        return max(check.error_bound for check in self.checks if check.error_bound is not None)

    def max_error_text(self) -> str:
        """``max_rel_error`` as text: the worst parameter's value, or a bound on every error.

        When the worst error is noise (:attr:`ParameterCheck.error_bound`), the text is the
        largest bound among the parameters: each error lies below its own bound, so the
        largest lies below that one, whichever parameter the noise made the worst. A FAIL
        states the largest error among the failing parameters, as measured.
        """
        if self.verdict == FAIL:  # the measurements that decided, whatever noise is beside
            return f"{max(c.rel_error for c in self.checks if c.verdict == FAIL):.0e}"
        return _bounded_error(self.max_rel_error, self._max_error_bound())

    def max_tolerance_text(self) -> str:
        """The largest tolerance a parameter was held to, as its
        :meth:`~ParameterCheck.tolerance_text`."""
        return max(self.checks, key=lambda check: check.tolerance).tolerance_text()

    def summary(self) -> str:
        """One line that starts with the verdict (short enough for the book's text column)."""
        how = f"({METHOD_NAMES[self.method]}, step {self.step:.0e})"
        if self.verdict == UNRESOLVED:
            names = [check.name for check in self.checks if check.verdict == UNRESOLVED]
            which = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            if len(names) > 3:
                which = f"{names[0]} and {len(names) - 1} more"
            return f"UNRESOLVED: the differences cannot decide {which} {how}"
        bound = self._max_error_bound()
        shown = self.max_rel_error if bound is None else bound
        if self.verdict == PASS and shown > self.tolerance:
            # Some parameter passed within its own, larger, tolerance (rounding it carries),
            # or only a bound above τ can be stated for its error.
            return (
                f"PASS: max relative error {self.max_error_text()}, each within its tolerance {how}"
            )
        if self.verdict == FAIL:
            worst = max((c for c in self.checks if c.verdict == FAIL), key=lambda c: c.rel_error)
            if not math.isfinite(worst.rel_error) and worst.note:
                # Nothing was measured: a claim of the wrong shape, or with NaN or inf in it.
                said = worst.note
                if not said.startswith("the claimed"):
                    said = f"the claimed gradient of {worst.name} has {said}"
                return f"FAIL: {said} {how}"
            if worst.rel_error <= self.tolerance:
                # Failed against the tolerance of other differences (a second opinion's).
                return (
                    f"FAIL: max relative error {self.max_error_text()}, above its tolerance {how}"
                )
        return (
            f"{self.verdict}: max relative error {self.max_error_text()}, "
            f"tolerance {self.tolerance:.0e} {how}"
        )

    def __repr__(self) -> str:
        table = format_table(ROW_HEADERS, self.rows(), rule=False)
        return "\n".join(["Gradient check: " + self.summary(), *self.details, table])

    def _repr_html_(self) -> str:
        cells = "".join(
            "<tr>" + "".join(f"<td>{html_text(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows()
        )
        details = "".join(f"<p>{html_text(line)}</p>" for line in self.details)
        return (
            f"<p><b>Gradient check</b>: {html_text(self.summary())}</p>{details}"
            "<table><thead><tr>"
            + "".join(f"<th>{name}</th>" for name in ROW_HEADERS)
            + f"</tr></thead><tbody>{cells}</tbody></table>"
        )


def check(
    f,
    inputs,
    claimed,
    *,
    method: str = "central",
    step: float | None = None,
    tolerance: float | None = None,
    in_float64: bool = True,
    resolve: bool = True,
    sample: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
) -> GradientCheckReport:
    """Check claimed gradients of any scalar cost against finite differences of the cost.

    ``f`` takes one dict ``{name: array}`` (the keys of ``inputs``) and returns the cost
    ``J``, one real number; ``inputs`` maps names to the point, float arrays of any shape;
    ``claimed`` maps some of those names to the claimed ``∇name J``, each of its input's
    shape. The report has one row per claimed name, with the verdicts of
    :func:`gradient_check` reached the same way (the module docstring): the same engine,
    with differences taken one entry at a time, each input's step scaled by
    ``max(1, max|input|)``, and the rounding of ``J`` estimated from ``J``'s own values
    (:func:`cost_noise`) instead of bounded from a network's record.

    ``in_float64`` evaluates ``f`` on float64 copies of float32 inputs; a float32 claim may
    then carry float32's rounding (:data:`CLAIM_ULPS`). Complex step (``method="complex"``,
    or a re-check of an unresolved row) evaluates ``f`` on complex inputs: it is used for a
    re-check only when ``f.analytic`` is True, and refused when it is False. ``step``,
    ``tolerance``, ``sample``, ``seed`` and ``progress`` are as in :func:`gradient_check`.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of a dict of arrays returning J, got {describe(f)}")
    choice("method", method, METHODS)
    in_float64, resolve = boolean("in_float64", in_float64), boolean("resolve", resolve)
    inputs = _named_arrays("inputs", inputs, finite_array)
    claims = _named_arrays("claimed", claimed, numeric_array)
    unknown = [name for name in claims if name not in inputs]
    if unknown:
        raise ValueError(
            f"claimed names {', '.join(map(repr, unknown))}, which inputs does not have "
            f"(inputs: {', '.join(map(repr, inputs))})"
        )
    precision = min((array.dtype for array in inputs.values()), key=lambda d: d.itemsize)
    dtype = np.dtype(np.float64) if in_float64 else precision
    analytic = getattr(f, "analytic", None)
    if method == "complex" and analytic is False:
        reason = getattr(f, "reason", "")
        raise ValueError("complex step needs an analytic cost" + (f": {reason}" if reason else ""))
    step = check_step(method, step, dtype)
    tolerance = (
        default_tolerance(method, dtype) if tolerance is None else _fraction("tolerance", tolerance)
    )
    if sample is not None:
        sample = positive_int("sample", sample)
    seed = non_negative_int("seed", seed)
    differences = _FunctionDifferences(f, {n: a.astype(dtype) for n, a in inputs.items()})
    differences.analytic = analytic is True
    claim_dtypes = {  # each claim's precision: its own, or the inputs' if narrower
        name: min(A.dtype, precision, key=lambda d: d.itemsize) for name, A in claims.items()
    }
    entries = dict.fromkeys(claims)
    if sample is not None:
        rng = np.random.default_rng(seed)
        for name in entries:
            if sample < inputs[name].size:
                entries[name] = np.sort(rng.choice(inputs[name].size, sample, replace=False))
    total = (
        sum((inputs[n].size if chosen is None else len(chosen)) for n, chosen in entries.items())
        * {"forward": 2, "central": 4, "complex": 1}[method]
    )
    details = []
    if dtype != precision:
        details.append(
            "float32 inputs: differences in float64; tolerances include float32 rounding"
        )
    if sample is not None and any(chosen is not None for chosen in entries.values()):
        details.append(f"sampled {sample} entries per input (seed {seed})")
    # J and its noise (Moré and Wild's estimate) in each claim's own precision: how far
    # rounding blurs J where the claim was computed (see _claim_rounding).
    blurred = {}
    for name, claim_dtype in claim_dtypes.items():
        at = differences.on(claim_dtype)
        blurred[name] = (at.rounding, abs(float(at.J)), at.step_for(name, 1.0))
    with _progress_bar(total, total > PROGRESS_EVALUATIONS, progress) as advance:
        return _run(
            differences,
            {name: A.astype(np.float64) for name, A in claims.items()},
            entries,
            lambda name, N: _claim_rounding(N, claim_dtypes[name], *blurred[name]),
            method=method,
            step=step,
            tolerance=tolerance,
            resolve=resolve,
            claim_dtype=min(claims.values(), key=lambda A: A.dtype.itemsize).dtype,
            details=details,
            advance=advance,
        )


def _claim_rounding(N, dtype, noise, J, scale) -> tuple[float, float]:
    """The rounding a claim of :func:`check` may carry (absolute), for differences ``N``.

    Bounded: :data:`CLAIM_ULPS` of its precision's ε (its ``dtype``'s); a claim within it can
    PASS. Beyond it, unknown: nothing bounds how code the check cannot rerun rounds, so a
    disagreement that rounding in the claim's precision may explain is UNRESOLVED, not FAIL.
    That is, a margin (:data:`NOISE_MARGIN_CLAIM`) of ``J``'s ``noise`` in that precision, per
    unit of the input (whose ``scale`` is its largest entry: a saturated unit's slope rounds by
    ε, not by ε of itself) and relative to ``J`` of the largest entry (a near fit keeps as few
    digits of ŷ − y in its gradient as in ``J``); for a float32 claim, also :data:`RESOLUTION`
    of the largest entry.
    """
    largest = float(np.max(np.abs(N), initial=0.0))
    relative = noise / max(J, np.finfo(np.float64).tiny)
    unknown = NOISE_MARGIN_CLAIM * (noise / scale + relative * largest)
    if dtype == np.float32:
        unknown += RESOLUTION * largest
    return CLAIM_ULPS * float(np.finfo(dtype).eps) * largest, unknown


def _named_arrays(what, value, convert) -> dict[str, np.ndarray]:
    """``{name: array}`` from a mapping of names to arrays, each converted by ``convert``."""
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{what} must be a dict of name -> array, like {{'W(1)': W}}, got {describe(value)}"
        )
    if not value:
        raise ValueError(f"{what} is empty: name at least one array")
    result = {}
    for name, array in value.items():
        if not isinstance(name, str):
            raise TypeError(f"{what} must be keyed by names (str), got the key {name!r}")
        result[name] = convert(f"{what}[{name!r}]", array)
        if result[name].dtype.kind == "c":
            raise TypeError(f"{what}[{name!r}] must be real, got complex numbers")
    return result


def gradient_check(
    net,
    x,
    y,
    *,
    method: str = "central",
    step: float | None = None,
    tolerance: float | None = None,
    gradients=None,
    batched: bool = True,
    in_float64: bool = True,
    resolve: bool = True,
    sample: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
) -> GradientCheckReport:
    """Compare backpropagation with finite differences for every ``W(k)`` and ``b(k)``.

    ``gradients`` are the claimed gradients (anything with ``.W[k]`` and ``.b[k]``, such as
    :func:`matgrad.backward`'s result or a deliberately wrong one); by default Algorithms
    6.3 and 6.4 compute them. ``method`` is ``forward``, ``central`` or ``complex``;
    ``step`` (default :func:`~matgrad.finite_differences.default_step`) is the step for
    quantities of order one, scaled for each parameter by
    :func:`~matgrad.finite_differences.scaled_step`; ``tolerance`` is ``τ`` (default
    :func:`default_tolerance`), ``0 < τ < 1``. The module docstring says how the verdicts
    are reached.

    ``in_float64`` differentiates a float32 network's float64 copy; ``resolve`` re-checks an
    unresolved parameter by complex step where ``J`` is analytic (and in float64). ``sample``
    checks that many entries per parameter, drawn with ``seed``, instead of all of them;
    ``batched=False`` uses the one-entry-at-a-time reference loop; ``progress`` shows a
    progress bar (``None``: only for a large check).
    """
    check_net(net)
    choice("method", method, METHODS)
    batched, in_float64, resolve = (
        boolean("batched", batched),
        boolean("in_float64", in_float64),
        boolean("resolve", resolve),
    )
    x, y = net.check_example(x, y)
    work = net.astype(np.float64) if in_float64 else net
    if method == "complex" and not work.analytic:
        raise ValueError(
            "complex step needs an analytic cost: " + "; ".join(work.non_analytic_reasons())
        )
    step = check_step(method, step, work.dtype)
    tolerance = (
        default_tolerance(method, work.dtype)
        if tolerance is None
        else _fraction("tolerance", tolerance)
    )
    if sample is not None:
        sample = positive_int("sample", sample)
    seed = non_negative_int("seed", seed)
    # Algorithm 6.3 runs once at (x, y) in the network's precision, and once more in the
    # differences' when they differ: every gradient and bound below starts from these records.
    scales = _scales(work)
    if not all(map(math.isfinite, scales.values())):
        _refuse_non_finite_parameters(net)
    record = net.forward(x, y)
    xw, yw = x.astype(work.dtype, copy=False), y.astype(work.dtype, copy=False)
    differences = _Differences(
        work, record if work is net else work.forward(xw, yw), xw, yw, batched
    )
    differences.scales = scales  # found once, for both
    # Algorithm 6.4's own gradients, claimed when none are given, and measured for rounding.
    own = _algorithm_6_4(net, record, y, differences) if gradients is None else None
    claimed = _claimed_gradients(net, record, y, own if gradients is None else gradients)
    entries = dict.fromkeys(net.parameters())  # None: every entry of the parameter
    if sample is not None:
        rng = np.random.default_rng(seed)
        for name, k in entries:
            size = net.parameter(name, k).size
            if sample < size:
                entries[name, k] = np.sort(rng.choice(size, sample, replace=False))
    rounding = backprop_rounding(net, record, y, differences.on(np.float64), entries, own)
    multiples = differences.multiples(method, step, list(entries))
    evaluations = len(multiples) * (2 if method == "central" else 1)
    total, large = _network_work(net, record.m, entries, evaluations)
    with _progress_bar(total, large, progress) as advance:
        return _run(
            differences,
            claimed,
            entries,
            lambda key, N: (rounding[key], 0.0),
            guard=partial(_blame_the_step, method, step),
            method=method,
            step=step,
            tolerance=tolerance,
            resolve=resolve,
            claim_dtype=net.dtype,
            details=_details(net, work, entries, sample, seed),
            advance=advance,
        )


def backprop_rounding(
    net, record, y, exact: _Differences, entries, own=None
) -> dict[tuple[str, int], float]:
    """How far rounding may move Algorithm 6.4's result here, per parameter array: at the
    ``entries`` checked (flat indices per parameter, ``None`` for all of them).

    For a float32 network, measured: Algorithm 6.4 runs again on a float64 copy, and the
    difference *is* float32's rounding of it; for claimed gradients computed another way, the
    larger of that and float32's typical rounding there
    (:func:`~matgrad.rounding.probable_rounding`), times :data:`BACKPROP_MARGIN`. For a
    float64 network, with no wider precision at hand, bounded:
    :func:`~matgrad.rounding.derivative_rounding`. ``record`` is Algorithm 6.3's at the point
    checked and ``y`` the target, both in the network's dtype; ``exact`` is the point in
    float64 (the network itself when it is float64); ``own`` may pass Algorithm 6.4's result
    at ``record``, if already at hand.
    """
    if net.dtype == np.float64:  # derivative_rounding of this very network and record
        return {key: _largest(exact.forward_mode[key], entries[key]) for key in entries}
    mine = backward(net, record, y) if own is None else own
    theirs = _algorithm_6_4(exact.work, exact.record, exact.y, exact)
    typical = probable_rounding(
        exact.work,
        exact.record,
        exact.y,
        sizes=exact.magnitudes,
        eps=float(np.finfo(net.dtype).eps),
        per_entry=True,
        gradients=exact.adjoints,
    )
    result = {}
    for key, chosen in entries.items():
        difference = np.abs(mine.parameter(*key) - theirs.parameter(*key)).ravel()
        largest = _largest(np.maximum(difference, typical[key]), chosen)
        result[key] = BACKPROP_MARGIN * largest if math.isfinite(largest) else math.inf
    return result


def _largest(values: np.ndarray, entries: np.ndarray | None) -> float:
    """The largest of a parameter's flat ``values`` at ``entries`` (``None``: all of them)."""
    return float((values if entries is None else values[entries]).max(initial=0.0))


class _Numerical(NamedTuple):
    """One array's differences: ``N``, the bound on its error, the step used, which entries'
    steps crossed a kink, whether no step reached ``J``, and whether the step was too large
    for its truncation error to be estimated (:data:`SMALL_MOVE`; ``error`` is then ``inf``)."""

    N: np.ndarray
    error: float
    step: float
    crossed: np.ndarray
    still: bool
    steep: bool


class _Quotients:
    """What every source of differences shares: from changes of ``J``, the quotients ``N``
    and the bound on the error of each.

    A source says how big a step each array takes (:meth:`step_for`) and how far it moves
    what it perturbs (:meth:`move`), computes the changes ``J(θ + t E_p) − J(θ)``
    (:meth:`changes`; a source whose loop computes the quotients themselves overrides
    :meth:`quotients` instead), bounds the rounding of one such change (``rounding``) and of
    complex step's quotient (:meth:`complex_rounding`), and makes a copy of itself in another
    precision (:meth:`on`). For forward and central differences the bound is the rounding
    error of the change divided by the step, plus the change from the same difference at
    twice the step (its truncation error, estimated as in Richardson extrapolation; tested at
    four times the step where a step is large, see :data:`SMALL_MOVE`). Complex step
    subtracts nothing and has no truncation error at its tiny step (at a large one, it is
    estimated in the same way); it rounds like the derivative itself does.
    """

    knows_flat = False
    """Whether an array whose differences are all 0 may be taken for one ``J`` does not
    depend on (the source knows its units dead, not saturated: see :func:`_judge`)."""

    def multiples(self, method, step, keys) -> list[int]:
        """The multiples of each array's step the differences take: the step, and twice it
        for a truncation estimate; four times it too when a step moves what it perturbs by
        more than :data:`SMALL_MOVE`, to test that estimate. Complex step at a tiny step takes
        only the step (its truncation is far below its rounding)."""
        if any(self.move(key, step) > SMALL_MOVE for key in keys):
            return [1, 2, 4]
        return [1] if method == "complex" else [1, 2]

    def gradients(self, method, step, entries, advance=None) -> dict[object, _Numerical]:
        """For each array of ``entries``, its :class:`_Numerical` gradient.

        ``entries`` maps a key to the entries to differentiate (flat indices), or to
        ``None`` for all of them; ``step`` is the base step, scaled for each array.
        """
        keys = list(entries)
        shapes = [self.shape(key) if entries[key] is None else (len(entries[key]),) for key in keys]
        steps = [self.step_for(key, step) for key in keys]
        multiples = self.multiples(method, step, keys)
        chosen = {
            key: np.arange(math.prod(shape)) if entries[key] is None else entries[key]
            for key, shape in zip(keys, shapes, strict=True)
        }
        # N at each multiple of the step, all arrays side by side, a segment each.
        Ns, crossed = self.quotients(method, chosen, steps, multiples, advance)
        sizes = [math.prod(shape) for shape in shapes]
        starts = _starts(sizes)

        def per_entry(values):
            return np.repeat(np.asarray(values, dtype=Ns[0].dtype), sizes)

        if method == "complex":
            rounding = [
                self.complex_rounding(key, entries[key], Ns[0][first : first + size])
                for key, first, size in zip(keys, starts.tolist(), sizes, strict=True)
            ]
            margin = 1
        elif method == "central":
            rounding, margin = [self.rounding / s for s in steps], 1
        else:
            rounding, margin = [2 * self.rounding / s for s in steps], 2
        N = Ns[0]
        steep = [False] * len(keys)
        if len(Ns) == 1:
            bounds = rounding
        else:
            # Truncation: central and complex step err by c s² + O(s⁴), so doubling the step
            # changes N by about 3 c s², three times the error; forward errs by a s + O(s²)
            # and doubling changes N by about a s, the error itself: twice that leaves room
            # for the terms after the first. A difference across a kink says nothing of it.
            first = np.where(crossed, 0.0, np.abs(N - Ns[1]))
            truncation = np.maximum.reduceat(first, starts)
            bounds = [r + margin * float(t) for r, t in zip(rounding, truncation, strict=True)]
            if len(Ns) == 3:
                # The estimate holds while the first term of the error dominates: then doubling
                # again changes N 4 times as much (2 times, forward). Where it does not, by more
                # than rounding explains, the step is too large to estimate its error.
                ratio = 2 if method == "forward" else 4
                second = np.abs(Ns[2] - Ns[1])
                noise = per_entry([10 * r for r in rounding])
                off = (np.abs(second - ratio * first) > 0.5 * ratio * first + noise) & ~crossed
                steep = np.logical_or.reduceat(off, starts).tolist()
                far = [self.move(key, step) > LARGE_MOVE for key in keys]
                steep = [a or b for a, b in zip(steep, far, strict=True)]
        # Whether no step of any entry reached J: the difference is exactly 0 at the step, and
        # at its multiples no more than rounding (a copy recomputes the later layers in
        # another layout, which BLAS may round otherwise, by an ulp of the loss).
        still = np.logical_and.reduceat(N == 0, starts) & self.knows_flat
        if still.any():
            noise = per_entry(rounding)
            unchanged = np.logical_and.reduce([N == 0, *(abs(Q) <= noise for Q in Ns[1:])])
            still = np.logical_and.reduceat(unchanged, starts)
        still = still.tolist()
        return {
            key: _Numerical(
                N=N[first : first + size].reshape(shape),
                error=math.inf if too_large else bound,
                step=s,
                crossed=crossed[first : first + size].reshape(shape),
                still=unchanged,
                steep=too_large,
            )
            for key, shape, size, first, bound, s, unchanged, too_large in zip(
                keys, shapes, sizes, starts.tolist(), bounds, steps, still, steep, strict=True
            )
        }

    def quotients(self, method, entries, steps, multiples, advance):
        """``N`` at each multiple ``t`` of each array's step ``s`` (the ``steps``, in the
        order of ``entries``), the arrays' entries side by side, and whether each entry's
        steps crossed a kink: from the changes of ``J`` (:meth:`changes`), taken at every
        step at once, each divided by its own step (:func:`quotients`)."""
        signs = {"forward": [1], "central": [1, -1], "complex": [1j]}[method]
        factors = [sign * t for t in multiples for sign in signs]
        moves = {key: [t * s for t in factors] for key, s in zip(entries, steps, strict=True)}
        changes, crossed = self.changes(method, entries, moves, advance)
        sizes = [len(chosen) for chosen in entries.values()]
        rows = len(signs)  # the changes of one multiple: its step and, for central, −step
        Ns = [
            quotients(
                method,
                changes[rows * i : rows * (i + 1)],
                np.repeat(np.asarray([t * s for s in steps], dtype=changes.real.dtype), sizes),
            )
            for i, t in enumerate(multiples)
        ]
        return Ns, crossed


class _Differences(_Quotients):
    """The differences of an :class:`~matgrad.MLP`'s parameters ``W(k)``, ``b(k)``, keyed
    ``(name, k)``: batched from Algorithm 6.3's record (:func:`cost_changes`), or one entry
    at a time by the reference loop (``batched=False``).

    The rounding of a change of the cost is bounded by
    :func:`~matgrad.rounding.cost_rounding`, complex step's by
    :func:`~matgrad.rounding.derivative_rounding`. The bounds are computed when first asked
    for, once per check.
    """

    claim, rerun = "backprop", "check a float64 copy"
    saturation = " (units saturated?)"
    knows_flat = True  # backprop's bound is 0 only where a unit's f' is exactly 0

    def __init__(self, work, record, x, y, batched):
        self.work, self.record, self.x, self.y, self.batched = work, record, x, y, batched
        self.dtype, self.analytic = work.dtype, work.analytic
        self.copies = {}

    def label(self, key) -> str:
        return "{}({})".format(*key)

    def shape(self, key) -> tuple[int, ...]:
        return self.work.parameter(*key).shape

    def step_for(self, key, step) -> float:
        return scaled_step(self.work, self.record, *key, step, scale=self.scales[key])

    @cached_property
    def scales(self) -> dict[tuple[str, int], float]:
        """``max(1, max|θ|)`` of each weight and bias, which its step grows by."""
        return _scales(self.work)

    @cached_property
    def magnitudes(self):
        """``|W(k)|``, ``|h(k)|`` and ``|f'(a(k))|`` at this point, which every bound uses."""
        return magnitudes(self.work, self.record)

    @cached_property
    def forward_errors(self) -> dict[int, np.ndarray]:
        """The rounding error bounds of ``h(0) .. h(l)`` at this point, which both bounds use."""
        return forward_errors(self.work, self.record, sizes=self.magnitudes)

    @cached_property
    def adjoints(self):
        """Algorithm 6.4's ``g`` at this point, which the bounds weigh roundings with."""
        return adjoints(self.work, self.record, self.y, sizes=self.magnitudes)

    @cached_property
    def rounding(self) -> float:
        """A bound on the rounding error of the cost changes the differences divide."""
        return cost_rounding(
            self.work,
            self.record,
            self.y,
            whole_cost=not self.batched,
            errors=self.forward_errors,
            sizes=self.magnitudes,
            gradients=self.adjoints,
        )

    @cached_property
    def forward_mode(self) -> dict[tuple[str, int], np.ndarray]:
        """A bound on complex step's rounding, which is Algorithm 6.4's, per entry (flat)."""
        return derivative_rounding(
            self.work,
            self.record,
            self.y,
            errors=self.forward_errors,
            sizes=self.magnitudes,
            per_entry=True,
            gradients=self.adjoints,
        )

    def complex_rounding(self, key, entries, N) -> float:
        return _largest(self.forward_mode[key], entries)

    @cached_property
    def largest_parameter(self) -> float:
        """``max(1, max|θ|)`` over every weight and bias."""
        return max(self.scales.values())

    def multiples(self, method, step, keys) -> list[int]:
        # A step moves a(k) by at most step · max(1, max|θ|) (scaled_step): usually far less.
        if step * self.largest_parameter <= SMALL_MOVE:
            return [1] if method == "complex" else [1, 2]
        return super().multiples(method, step, keys)

    def move(self, key, step) -> float:
        """How far the step for ``W(k)`` or ``b(k)`` moves a pre-activation ``a(k)``, at most."""
        name, k = key
        moved = self.step_for(key, step)
        if name == "W":
            moved *= float(np.abs(self.record.h[k - 1]).max(initial=0.0))
        return moved

    def on(self, dtype) -> _Differences:
        """The same differences on a copy of the network in ``dtype`` (made once)."""
        if np.dtype(dtype) == self.work.dtype:
            return self
        if dtype not in self.copies:
            work = self.work.astype(dtype)
            x, y = self.x.astype(dtype), self.y.astype(dtype)
            self.copies[dtype] = _Differences(work, work.forward(x, y), x, y, self.batched)
        return self.copies[dtype]

    def changes(self, method, entries, moves, advance):
        """The changes of ``J`` (one row a step, the parameters' entries side by side) and
        whether each entry's steps crossed a kink, batched (:func:`cost_changes`)."""
        found = cost_changes(
            self.work, self.record, self.y, entries, moves, memory=MEMORY_BUDGET, advance=advance
        )
        changes = np.concatenate([found[key][0] for key in entries], axis=1)
        return changes, np.concatenate([found[key][1] for key in entries])

    def quotients(self, method, entries, steps, multiples, advance):
        """Batched, from the changes (:meth:`changes`); or by the reference loop, whose
        quotients are :func:`numerical_gradient`'s own, and which reports no kink crossed."""
        if self.batched:
            return super().quotients(method, entries, steps, multiples, advance)
        found = [
            [self._reference(*key, method, t * s, chosen, advance) for t in multiples]
            for (key, chosen), s in zip(entries.items(), steps, strict=True)
        ]
        Ns = [np.concatenate(at) for at in zip(*found, strict=True)]  # one per multiple
        return Ns, np.zeros(len(Ns[0]), dtype=bool)

    def _reference(self, name, k, method, step, entries, advance):
        """The reference loop's ``N`` for the ``entries`` (flat) of ``W(k)`` or ``b(k)``:
        :func:`numerical_gradient` of ``J`` (:class:`ParameterCost`) as a function of those
        entries alone, as :func:`~matgrad.parameter_gradient` takes it for all of them."""
        cost = ParameterCost(self.work, self.x, self.y, name, k)
        parameter = self.work.parameter(name, k)

        def f(chosen):
            moved = parameter.astype(chosen.dtype).ravel()
            moved[entries] = chosen
            return cost(moved.reshape(parameter.shape))

        N = numerical_gradient(f, parameter.ravel()[entries], method=method, step=step)
        if advance is not None:
            advance(len(N) * (2 if method == "central" else 1))
        return N


class _FunctionDifferences(_Quotients):
    """The differences of a cost ``f`` of named arrays, one entry at a time, keyed by name.

    Entry ``p`` of an input moves by each step in turn, the others stay at the point; the
    change of ``J`` is ``f`` there minus ``f`` at the point. Nothing is known of how ``f``
    computes, so the rounding of a change is estimated from ``f``'s values
    (:func:`cost_noise`), and complex step's from the precision and the size of what it
    measured.
    """

    claim, rerun = "the claimed gradient", "claim it in float64"
    saturation = ""

    def __init__(self, f, inputs):
        self.f, self.inputs = f, inputs
        self.dtype = next(iter(inputs.values())).dtype
        self.analytic = False
        self.J = _cost_value(f, inputs)
        self.copies = {}

    def label(self, key) -> str:
        return key

    def shape(self, key) -> tuple[int, ...]:
        return self.inputs[key].shape

    def step_for(self, key, step) -> float:
        # A large entry needs a larger step for x ± s to differ from x by more than rounding.
        return step * max(1.0, float(np.max(np.abs(self.inputs[key]), initial=0.0)))

    @cached_property
    def rounding(self) -> float:
        """An estimate of the rounding error of one change of ``J``: :func:`cost_noise`."""
        return cost_noise(self.f, self.inputs, self.J)

    def move(self, key, step) -> float:
        """How far the step moves an entry of the input: the step itself, scaled."""
        return self.step_for(key, step)

    def complex_rounding(self, key, entries, N) -> float:
        # Complex step subtracts nothing: it keeps the digits of each entry, so it rounds
        # relative to the largest one. But an entry whose slope rounded to exactly 0 (a unit
        # saturated in float64) kept none: then it is known only to the size of J per unit of
        # the input.
        eps = float(np.finfo(self.dtype).eps)
        bound = COMPLEX_ULPS * eps * float(np.max(np.abs(N), initial=0.0))
        if not np.all(N):
            scale = max(1.0, float(np.max(np.abs(self.inputs[key]), initial=0.0)))
            bound += COMPLEX_ULPS * eps * abs(float(self.J)) / scale
        return bound

    def on(self, dtype) -> _FunctionDifferences:
        """The same differences with the inputs in ``dtype`` (made once)."""
        if np.dtype(dtype) == self.dtype:
            return self
        if dtype not in self.copies:
            copy = _FunctionDifferences(
                self.f, {n: a.astype(dtype) for n, a in self.inputs.items()}
            )
            copy.analytic = self.analytic
            self.copies[dtype] = copy
        return self.copies[dtype]

    def changes(self, method, entries, moves, advance):
        """The changes of ``J`` (one row a step, the inputs' entries side by side); no kinks
        are known, so none is reported crossed."""
        blocks = []
        for name, chosen in entries.items():
            steps = np.asarray(moves[name])
            imaginary = steps.dtype.kind == "c"
            moved = self.inputs[name].astype(
                complex_dtype(self.dtype) if imaginary else self.dtype, order="C"
            )
            flat = moved.reshape(-1)  # a view of C-ordered memory: the point f sees moves with it
            point = dict(self.inputs)
            point[name] = moved
            block = np.empty((len(steps), len(chosen)), dtype=moved.dtype)
            for column, p in enumerate(chosen):
                here = flat[p]
                for row, t in enumerate(steps):
                    flat[p] = here + t
                    # The step taken is what x + t rounds to: divide by that, not by t.
                    taken = 1.0 if imaginary or flat[p] == here else t / (flat[p] - here)
                    block[row, column] = (_cost_value(self.f, point, imaginary) - self.J) * taken
                flat[p] = here
                if advance is not None:
                    advance(len(steps))
            blocks.append(block)
        changes = np.concatenate(blocks, axis=1)
        return changes, np.zeros(changes.shape[1], dtype=bool)


def _cost_value(f, point, imaginary=False):
    """``f(point)``, which must be one real number (complex when the point is)."""
    where = "on complex inputs (complex step)" if imaginary else "at the inputs"
    try:
        with warnings.catch_warnings() if imaginary else contextlib.nullcontext():
            # A cast to float inside f drops the imaginary part that complex step measures.
            if imaginary:
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
            value = f(point)
    except np.exceptions.ComplexWarning as error:
        raise ValueError(
            "complex step needs f to carry the imaginary part through, and f cast a complex "
            "number to a real one (float(), int(), or an assignment into a real array)"
        ) from error
    except Exception as error:  # whatever f raises, the reader learns where and what
        raise ValueError(f"f failed {where}: {type(error).__name__}: {error}") from error
    kind = np.asarray(value).dtype.kind
    if np.ndim(value) != 0 or kind not in "biufc":
        raise ValueError(f"f must return one number J, got {describe(value)}")
    if imaginary and kind != "c":
        raise ValueError(
            "complex step needs f to carry the imaginary part through; f returned a real "
            f"{type(value).__name__} (does it use abs, max or a cast to float?)"
        )
    if not imaginary:
        if kind == "c":
            raise ValueError(f"f must return a real number J, got {describe(value)}")
        if not math.isfinite(value):
            raise ValueError(f"f returned {value} at the inputs: J must be finite there")
    return value


def cost_noise(f, inputs, J=None) -> float:
    """An estimate of the rounding noise in ``J = f(inputs)`` near the point (absolute).

    The method of Moré and Wild ("Estimating computational noise", SIAM J. Sci. Comput.
    33(3), 2011): ``J`` is evaluated at nine points ``x + iδp`` along a random direction
    ``p`` with a spacing ``δ`` of ``√ε`` times the inputs' size. The ``k``-th differences of
    a smooth ``J`` shrink like ``δᵏ``, those of noise of level ``σ`` do not: their mean
    square is ``σ² (2k)!/(k!)²``. So each ``k`` from 4 to 6 estimates ``σ``, and the largest
    estimate, three times over, is taken (a high estimate makes a check say UNRESOLVED,
    never a wrong verdict), at least a few units in the last place of ``J``.
    """
    J = _cost_value(f, inputs) if J is None else J
    dtype = next(iter(inputs.values())).dtype
    eps = float(np.finfo(dtype).eps)
    rng = np.random.default_rng(0)
    direction = {
        name: rng.choice([-1.0, 1.0], size=x.shape)
        * max(1.0, float(np.max(np.abs(x), initial=0.0)))
        for name, x in inputs.items()
    }
    spacing = math.sqrt(eps)
    values = [
        J
        if i == 0
        else _cost_value(
            f, {n: (x + i * spacing * direction[n]).astype(dtype) for n, x in inputs.items()}
        )
        for i in range(-4, 5)
    ]
    values = np.asarray(values, dtype=np.float64)
    estimates = []
    for k in range(1, 7):
        values = np.diff(values)
        if k >= 4:
            gamma = math.factorial(k) ** 2 / math.factorial(2 * k)
            estimates.append(math.sqrt(gamma * float(np.mean(values**2))))
    # Never 0, even for a J of exactly 0 that does not move: float64 may hold no digit of a
    # change that is there (a saturated unit), and a bound of 0 would vouch that none is.
    return max(NOISE_ULPS * eps * abs(float(J)), 3 * max(estimates), float(np.finfo(dtype).tiny))


@dataclass
class _Bounds:
    """What may separate a correct claimed gradient from the numerical one (absolute).

    ``differences``: the error bound of ``N``; ``backprop``: the rounding of the claim
    (Algorithm 6.4's in the network's precision, see :func:`backprop_rounding`). A check
    cannot see below either. ``unknown``: rounding the claim may carry that nothing measured
    (a claim of :func:`check`, computed by code the check cannot rerun): a claim that far off
    is UNRESOLVED, neither FAIL nor PASS. ``still``: no step of the differences reached ``J``
    (a parameter whose units are all dead: its differences are 0, to rounding); ``steep``:
    the step was too large for the truncation error of ``N`` to be estimated
    (``differences`` is then ``inf``).
    """

    differences: float
    backprop: float
    unknown: float = 0.0
    still: bool = False
    steep: bool = False


class _Measured(NamedTuple):
    """One parameter's claimed gradient beside its differences, as :func:`_judge` takes it."""

    key: tuple[str, int] | str
    label: str
    shape: tuple[int, ...]
    claimed: np.ndarray
    N: np.ndarray
    bounds: _Bounds
    step: float
    entries: np.ndarray | None
    crossed: np.ndarray


def _measured(differences, key, claimed, found: _Numerical, entries, claim_rounding) -> _Measured:
    """The claim on array ``key`` of ``differences`` beside the differences ``found`` for it,
    with the bounds on what may separate them (``claim_rounding``: see :func:`_run`)."""
    return _Measured(
        key=key,
        label=differences.label(key),
        shape=differences.shape(key),
        claimed=claimed,
        N=found.N,
        bounds=_Bounds(
            found.error, *claim_rounding(key, found.N), still=found.still, steep=found.steep
        ),
        step=found.step,
        entries=entries,
        crossed=found.crossed,
    )


def _judge(parameters: list[_Measured], tolerance, method) -> list[ParameterCheck]:
    """The verdicts for parameters, from ``A``, ``N`` and the bounds on what may differ.

    ``N`` are ``method`` differences, and ``tolerance`` is their ``τ``. Entries whose
    differences ``crossed`` a kink are set aside: they measure an average slope. The rest
    decide FAIL; a PASS among them is only UNRESOLVED for the whole.
    """
    # A is the claim at the entries differentiated; a claim of another shape fails as it is.
    claims = []
    for p in parameters:
        claimed = np.asarray(p.claimed)
        fits = claimed.shape == p.shape
        claims.append(
            (claimed if not fits or p.entries is None else claimed.ravel()[p.entries], fits)
        )
    measures = iter(
        _measure(
            [(A, p.N, p.crossed) for p, (A, fits) in zip(parameters, claims, strict=True) if fits]
        )
    )
    checks = []
    for p, (A, fits) in zip(parameters, claims, strict=True):
        fields = dict(
            name=p.label,
            key=p.key,
            shape=p.shape,
            claimed=A,
            numerical=p.N,
            method=method,
            step=p.step,
            entries=p.entries,
        )
        if not fits:
            note = f"shape {A.shape}, but {p.label} has shape {p.shape}"
            checks.append(_failed(fields, tolerance, note))
            continue
        finite, scale, difference, kinked, N_finite = next(measures)
        if not finite:
            note = f"the claimed gradient of {p.label} contains NaN or inf"
            checks.append(_failed(fields, tolerance, note))
            continue
        unseen = p.bounds.differences + p.bounds.backprop
        note = ""
        if scale == 0:
            # A and N exactly 0. That is agreement when no step reached J (crossing no kink)
            # and backprop's bound says its 0 is exact (units dead, not saturated: a
            # saturated unit's f' rounds to 0 and its bound does not).
            exact = p.bounds.still and p.bounds.backprop == 0 and not kinked
            error, uncertainty = 0.0, (0.0 if unseen == 0 or exact else math.inf)
            if exact:
                note = "J does not change when it moves"
        else:
            error, uncertainty = difference / scale, unseen / scale
        limit = tolerance + uncertainty
        if not N_finite:
            verdict, note = UNRESOLVED, "the differences overflowed: try a smaller step"
        elif error > limit + (p.bounds.unknown / scale if scale else 0.0):
            verdict = FAIL
        elif error > limit:
            verdict = UNRESOLVED
            note = "no further off than rounding in the claim may be here: nothing can decide"
        elif not uncertainty <= RESOLUTION or kinked or error + uncertainty > AGREEMENT:
            verdict = UNRESOLVED
        else:
            verdict = PASS
        if kinked:
            note = f"{kinked} of {A.size} differences crossed a kink"
        elif p.bounds.steep:
            note = "the step is too large to estimate its truncation error: try a smaller one"
        checks.append(
            ParameterCheck(
                **fields,
                rel_error=error,
                tolerance=limit,
                uncertainty=uncertainty,
                verdict=verdict,
                note=note,
                kinked=kinked,
                bounds=p.bounds,
            )
        )
    return checks


def _failed(fields, tolerance, note) -> ParameterCheck:
    """A FAIL that measured nothing (a claim of the wrong shape, or with NaN or inf in it),
    with the ``fields`` of its parameter."""
    return ParameterCheck(
        **fields, rel_error=np.inf, tolerance=tolerance, uncertainty=0.0, verdict=FAIL, note=note
    )


def _measure(parameters) -> list[tuple[bool, float, float, int, bool]]:
    """What :func:`_judge` needs of each parameter's ``(A, N, crossed)``.

    Per parameter: whether ``A`` is finite; ``max|A| + max|N|`` and ``max|A − N|`` over the
    entries whose differences crossed no kink; how many crossed one; whether ``N`` is finite.
    All parameters are measured in one pass over their entries side by side, a segment each:
    for a small network numpy's cost per call, not the arithmetic, is what a check pays.
    """
    if not parameters:
        return []
    starts = _starts([A.size for A, _, _ in parameters])
    A = np.concatenate([A.ravel() for A, _, _ in parameters])
    N = np.concatenate([N.ravel() for _, N, _ in parameters])
    crossed = np.concatenate([np.ravel(crossed) for _, _, crossed in parameters])
    finite_A = np.isfinite(A)
    finite = np.logical_and.reduceat(finite_A, starts)
    if not finite.all():  # such a claim FAILs as it is; 0 keeps inf − inf out of A − N
        A = np.where(finite_A, A, 0.0)
    kinked = np.add.reduceat(crossed, starts, dtype=np.intp)
    set_aside = bool(kinked.any())

    def largest(values):
        magnitudes = np.abs(values)
        if set_aside:  # as a 0 among magnitudes
            magnitudes = np.where(crossed, 0, magnitudes)
        return np.maximum.reduceat(magnitudes, starts)

    scale = largest(A) + largest(N)
    difference = largest(A - N)
    N_finite = np.logical_and.reduceat(np.isfinite(N), starts)
    measures = (finite, scale, difference, kinked, N_finite)
    return list(zip(*(measure.tolist() for measure in measures), strict=True))


def _starts(sizes) -> np.ndarray:
    """Where each of several arrays of these sizes starts when laid side by side (a segment
    each, as ``np.ufunc.reduceat`` takes them)."""
    return np.array(list(itertools.accumulate(sizes[:-1], initial=0)))


def _run(
    differences,
    claimed,
    entries,
    claim_rounding,
    *,
    method,
    step,
    tolerance,
    resolve,
    claim_dtype,
    details,
    advance=None,
    guard=contextlib.nullcontext,
) -> GradientCheckReport:
    """The engine both checks share: differences, verdicts, re-checks and advice.

    ``differences`` is a source of differences (:class:`_Quotients`); ``claimed`` and
    ``entries`` map its keys to the claimed gradients (float64) and to the entries to
    differentiate (``None``: all); ``claim_rounding(key, N)`` gives the rounding the claim
    may carry (absolute): bounded, and beyond that unknown (:class:`_Bounds`);
    ``claim_dtype`` is the precision it was computed in. ``guard()`` is entered around every
    evaluation of the cost (a network's says when a step took a loss out of its domain).
    """
    with guard():
        numerical = differences.gradients(method, step, entries, advance)
    judged = _judge(
        [
            _measured(differences, key, claimed[key], found, entries[key], claim_rounding)
            for key, found in numerical.items()
        ],
        tolerance,
        method,
    )
    checks = []
    for check in judged:
        if check.verdict == UNRESOLVED and resolve:
            with guard():
                check = _resolve(
                    check, claimed[check.key], differences, method, step, tolerance, claim_rounding
                )
        checks.append(_advise(check, differences, claim_dtype, method, resolve))
    return GradientCheckReport(
        method=method, step=step, tolerance=tolerance, checks=checks, details=details
    )


def _resolve(check, claimed, differences, method, step, tolerance, claim_rounding):
    """Check an unresolved array again by differences that can resolve it, if any.

    A kink crossed, or a step too large to estimate its truncation: the same differences with
    a step a hundred, then ten thousand, times smaller (in float64). Otherwise: a step a
    hundred times smaller when the step was given larger than the default, float64
    differences for a float32 copy, then complex step where ``J`` is analytic. Each is held
    to the tolerance of the differences it uses, float64's for its method (or ``tolerance``,
    if smaller): a float32 tolerance, or one given for other differences, says nothing of
    what these can resolve. When ``tolerance`` was the caller's own and is replaced, the note
    says so.
    """
    float64 = differences.on(np.float64)
    if check.kinked or check.bounds.steep:
        tries = [
            (f"a step {factor:,} times smaller", method, step / factor) for factor in (100, 10_000)
        ]
    else:
        tries = []
        if step > default_step(method, differences.dtype):  # given larger: truncation
            tries.append(("a step 100 times smaller", method, step / 100))
        if differences.dtype != np.float64:
            label = f"float64 {METHOD_NAMES[method]} differences"
            tries.append((label, method, default_step(method)))
        if method != "complex" and float64.analytic:
            tries.append(("complex step", "complex", default_step("complex")))
    same = differences.dtype == np.float64  # the first differences were float64's
    given = tolerance != default_tolerance(method, differences.dtype)
    for label, other, base in tries:
        found = float64.gradients(other, base, {check.key: check.entries})[check.key]
        held = tolerance
        if other != method or not same:
            held = min(tolerance, default_tolerance(other, np.float64))
        (again,) = _judge(
            [_measured(differences, check.key, claimed, found, check.entries, claim_rounding)],
            held,
            other,
        )
        if again.verdict != UNRESOLVED:
            how = f"{label}, tolerance {held:.0e}" if given and held != tolerance else label
            again.note = f"by {how}" + (f", {again.note}" if again.note else "")
            return again
    return check


def _advise(check, differences, claim_dtype, method, resolve) -> ParameterCheck:
    """Say why an array stayed unresolved, and what would resolve it."""
    if check.verdict != UNRESOLVED:
        return check
    bounds = check.bounds
    if check.kinked:
        check.note += ": take inputs away from the kinks"
    elif check.note:
        pass
    elif bounds.backprop >= bounds.differences:
        check.note = (
            f"float32 rounding in {differences.claim} is that large here: {differences.rerun}"
            if claim_dtype == np.float32
            else f"rounding in {differences.claim} is that large here"
        )
    elif not np.any(check.numerical) and not np.any(check.claimed):
        check.note = "J does not change at all when it moves"
    elif method == "complex" or (resolve and differences.analytic):
        # Complex step had its say: the gradient is below what float64 can carry here.
        check.note = "too small to resolve in float64" + differences.saturation
    elif not np.any(check.claimed) and np.abs(check.numerical).max() <= bounds.differences:
        # A claim of 0 that the differences cannot tell from 0: J may not depend on this input
        # at all (the sum of a batch norm's outputs), and then no check of this cost can tell
        # a right gradient from a wrong one. A nonzero claim this small is a small gradient
        # (a deep sigmoid's first layer), for which the advice below stands.
        check.note = "J does not change beyond its rounding when it moves, nor does the claim"
    else:
        advice = []
        if method != "complex" and differences.analytic:
            advice.append("complex step")
        if differences.dtype == np.float32:
            advice.append("float64")
        advice.append("larger inputs" if differences.analytic else "inputs away from kinks")
        check.note = "below what the differences resolve; try " + " or ".join(advice)
    return check


def _algorithm_6_4(net, record, y, differences) -> Gradients:
    """Algorithm 6.4's gradients at ``record``, computed line by line as
    :func:`~matgrad.backward` computes them; for a float64 network from the ``g`` the bounds
    use (``differences.adjoints``, the same numbers), once for both."""
    if differences.work is not net:
        return backward(net, record, y)
    _, g = differences.adjoints
    W, b, lam, Omega = {}, {}, net.lam, net.regularizer
    for k in range(1, net.l + 1):
        b[k] = g[k].sum(axis=1, keepdims=True)  # ∇b(k) J = g
        W[k] = g[k] @ record.h[k - 1].T + lam * Omega.gradient(net.W[k])  # g h(k-1)ᵀ + λ∇Ω
    return Gradients(W=W, b=b)


def _scales(net) -> dict[tuple[str, int], float]:
    """``max(1, max|θ|)`` of each weight and bias: NaN or inf where one holds a NaN or inf."""
    return {key: parameter_scale(net.parameter(*key)) for key in net.parameters()}


def _refuse_non_finite_parameters(net) -> None:
    """Refuse a network with NaN or inf in a weight or bias, naming it.

    The network checks its arrays when built, but they can be assigned to afterwards
    (``net.W[2][0, 0] = np.nan``); the NaN would then flow into the claimed and the numerical
    gradients alike and be blamed on the claim."""
    for name, k in net.parameters():
        parameter = net.parameter(name, k)
        bad = ~np.isfinite(parameter)
        if bad.any():
            what = "NaN" if np.isnan(parameter).any() else "inf"
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"the network's {name}({k}) contains {what} ({int(bad.sum())} of its "
                f"{parameter.size} entries, the first at index {where}): a gradient check "
                "needs finite weights and biases; was it assigned to after the network was "
                "built, or did training diverge?"
            )


def _claimed_gradients(net, record, y, gradients) -> dict[tuple[str, int], np.ndarray]:
    """The claimed ``∇W(k) J`` and ``∇b(k) J`` as float64 arrays, keyed ``(name, k)``.

    ``gradients=None`` claims Algorithm 6.4's, from Algorithm 6.3's ``record`` at the point
    checked. A claim that is not an array of numbers is refused; one with NaN or inf is a
    claim, and fails its row.
    """
    if gradients is None:
        gradients = backward(net, record, y)
    result = {}
    for name, k in net.parameters():
        try:
            value = getattr(gradients, name)[k]
        except (AttributeError, KeyError, IndexError, TypeError) as error:
            raise TypeError(
                "gradients must hold .W[k] and .b[k] for k = 1..l, like the result of "
                f"matgrad.backward; found no ∇{name}({k}) J"
            ) from error
        array = numeric_array(f"the claimed ∇{name}({k}) J", value)
        result[name, k] = array.astype(np.float64)
    return result


def _details(net, work, entries, sample, seed) -> list[str]:
    lines = []
    if work.dtype != net.dtype:
        lines.append(
            "float32 network: differences on a float64 copy; tolerances include "
            "float32 rounding in backprop"
        )
    if sample is not None and any(chosen is not None for chosen in entries.values()):
        lines.append(f"sampled {sample} entries per parameter (seed {seed})")
    return lines


@contextlib.contextmanager
def _blame_the_step(method, step):
    """A loss that the differences took out of its domain: the step did, not the network.

    Algorithm 6.3 at the point checked has already computed the loss; a perturbed copy whose
    ``ŷ`` reaches exactly 0 or 1 (binary cross-entropy) was moved there by the step."""
    try:
        yield
    except ProbabilityError as error:
        default = default_step(method)
        hint = (
            "the output units are saturated: ŷ lies within rounding of 0 or 1"
            if step <= default
            else f"use a smaller step (the default for {METHOD_NAMES[method]} differences is "
            f"{default:.0e}; steps from about 1e-8 to 1e-3 suit quantities of order one)"
        )
        raise ValueError(
            f"the step {step:.0e} is too large here: moving a parameter by it (and by the "
            "multiples the check takes to estimate truncation) takes ŷ to exactly 0 or 1, "
            f"where binary cross-entropy is undefined; {hint}"
        ) from error


def _network_work(net, m, entries, evaluations) -> tuple[int, bool]:
    """How many differences a network's check takes, and whether that is a large check.

    The work is estimated from the widths (multiply-adds of the perturbed layers), not
    timed, so that whether a bar appears does not depend on the machine.
    """
    widths = net.widths
    products = [0, *(widths[j] * widths[j - 1] for j in range(1, len(widths)))]  # W(j)'s sizes
    total = work = 0
    for (name, k), chosen in entries.items():
        every = products[k] if name == "W" else widths[k]
        count = every if chosen is None else len(chosen)
        total += count * evaluations
        work += count * evaluations * m * (widths[k] + sum(products[k + 2 :]))
    return total, work > PROGRESS_WORK


@contextlib.contextmanager
def _progress_bar(total, large, show):
    """A tqdm bar of ``total`` differences when asked, or (``show=None``) when the check is
    ``large``; yields ``advance``. tqdm's ``auto`` bar is a widget in a notebook and text in
    a terminal; it is removed when done.
    """

    def available():
        # tqdm is optional (``matgrad[progress]``): the live book's runtime does without it.
        # Looked up only when a bar is due: the lookup costs more than a small check.
        return importlib.util.find_spec("tqdm") is not None

    if show is None:
        show = large and available()
    if not boolean("progress", show):
        yield None
        return
    if not available():
        raise ModuleNotFoundError(
            "progress=True needs tqdm: pip install tqdm (or matgrad[progress])"
        )
    from tqdm.auto import tqdm

    with tqdm(total=total, desc="gradient check", unit="difference", leave=False) as bar:
        yield bar.update


def _fraction(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number between 0 and 1, got {describe(value)}")
    if not -1 < value < 1:  # compared before float(), which overflows on a huge int
        raise ValueError(f"{name} must be a relative error between 0 and 1, got {value}")
    value = float(value)
    if not 0 < value < 1:
        raise ValueError(f"{name} must be a relative error between 0 and 1, got {value}")
    return value
