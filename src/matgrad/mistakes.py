"""Tempting wrong versions of Algorithm 6.4, for the gradient checker to catch.

Each mistake changes one line of the algorithm the way learners (and published code)
get it wrong. :func:`backward_with_mistake` runs Algorithm 6.4 with that one line
changed, and :func:`mistake_patterns` shows the pattern each one leaves: which parameters
the bug breaks and by how much. The correct algorithm lives in :func:`matgrad.backward`;
this module is the bug zoo.
"""

from __future__ import annotations

from collections.abc import Sequence

from matgrad._text import shape_text
from matgrad._validation import choice
from matgrad.checks import gradient_check
from matgrad.network import Gradients, check_net

MISTAKES = {
    "h_g_transpose": "∇W(k) J = h(k-1) gᵀ: the transpose on the wrong factor",
    "missing_f_prime": "g ← ∇a(k) J = g: the factor f'(a(k)) forgotten",
    "missing_lambda": "∇W(k) J = g h(k-1)ᵀ: the regularizer's term λ ∇W(k) Ω forgotten",
    "dropped_transpose": "g ← W(k) g: the transpose of the propagation line dropped",
    "sum_for_mean": "g ← ∇ŷ of the summed loss while J averages: the 1/m forgotten",
    "regularized_bias": "∇b(k) J = g + λ b(k): a bias penalty J does not contain",
    "double_lambda": "∇W(k) J = g h(k-1)ᵀ + 2λW(k): 2λW for the ½-convention L2 penalty",
}
"""Name → the wrong line, as a reader would write it."""


def backward_with_mistake(net, record, y, mistake: str) -> Gradients:
    """Algorithm 6.4 with one line replaced by the named mistake (see :data:`MISTAKES`).

    A mistake that makes a product ill-shaped (``h gᵀ`` or ``W g`` in a non-square
    layer) raises ``ValueError`` saying so, as the buggy code itself would fail.
    """
    choice("mistake", mistake, MISTAKES)
    y = check_net(net).check_target(y, net.check_record(record).m)
    h, a, W, f, lam, Omega = record.h, record.a, net.W, net.f, net.lam, net.regularizer
    W_grad, b_grad = {}, {}
    g = net.output_gradient(record.yhat, y)
    if mistake == "sum_for_mean":
        g = net.loss.gradient(record.yhat, y)
    for k in range(net.l, 0, -1):
        if mistake != "missing_f_prime":
            g = g * f(k).derivative(a[k])
        b_grad[k] = g.sum(axis=1, keepdims=True)
        if mistake == "regularized_bias":
            b_grad[k] = b_grad[k] + lam * net.b[k]
        outer = h[k - 1] @ g.T if mistake == "h_g_transpose" else g @ h[k - 1].T
        penalty = {"missing_lambda": 0.0, "double_lambda": 2.0}.get(mistake, 1.0)
        # An ill-shaped h gᵀ cannot take the penalty term; keep it so the check shows its shape.
        W_grad[k] = (
            outer if outer.shape != W[k].shape else outer + penalty * lam * Omega.gradient(W[k])
        )
        if mistake == "dropped_transpose":
            if W[k].shape[1] != g.shape[0]:
                raise ValueError(
                    f"the dropped transpose fails at layer {k}: W({k}) g multiplies "
                    f"{shape_text(W[k].shape)} by {shape_text(g.shape)}; only W({k})ᵀ g fits"
                )
            g = W[k] @ g
        else:
            g = W[k].T @ g
    return Gradients(W=W_grad, b=b_grad)


def error_pattern(
    net, x, y, *, gradients=None, method: str = "central", step: float | None = None
) -> dict[str, float]:
    """``{"W(1)": error, "b(1)": error, ...}``: :func:`matgrad.relative_error` per parameter.

    ``gradients`` defaults to Algorithm 6.4's own; ``inf`` marks a gradient of the wrong
    shape. The differences are taken once, at ``step``, with no second opinion.
    """
    report = gradient_check(net, x, y, method=method, step=step, gradients=gradients, resolve=False)
    return {check.name: check.rel_error for check in report.checks}


def mistake_patterns(net, x, y, mistakes: Sequence[str] | None = None) -> dict[str, object]:
    """The :func:`error_pattern` each mistake of :data:`MISTAKES` leaves on ``net``.

    A mistake whose buggy code cannot even run on this network (a dropped transpose in a
    non-square layer) maps to the ``ValueError`` message instead of a pattern.
    """
    mistakes = list(MISTAKES) if mistakes is None else list(mistakes)
    record = net.forward(x, y)
    patterns: dict[str, object] = {}
    for mistake in mistakes:
        try:
            wrong = backward_with_mistake(net, record, y, mistake)
        except ValueError as error:
            patterns[mistake] = str(error)
            continue
        patterns[mistake] = error_pattern(net, x, y, gradients=wrong)
    return patterns
