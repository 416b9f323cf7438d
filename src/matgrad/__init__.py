"""matgrad: Algorithms 6.3 and 6.4 of *Deep Learning* (Goodfellow, Bengio & Courville, §6.5)
in numpy, with the finite differences and gradient checks that prove ``∇W J = g hᵀ``.

Pure computation lives in this package's top level; plots and widgets, which need
matplotlib and ipywidgets, live in :mod:`matgrad.plots` and :mod:`matgrad.widgets`.
"""

from matgrad.calculus import contract, frobenius, jacobian_kron, jacobian_tensor, outer, unvec, vec
from matgrad.finite_differences import (
    METHODS,
    ParameterCost,
    batched_parameter_gradient,
    default_step,
    numerical_gradient,
    parameter_gradient,
)
from matgrad.functions import ACTIVATIONS, LOSSES, REGULARIZERS, softmax
from matgrad.gradient_check import (
    FAIL,
    PASS,
    UNRESOLVED,
    GradientCheckReport,
    ParameterCheck,
    default_tolerance,
    gradient_check,
    relative_error,
)
from matgrad.layouts import LAYOUTS, linear, to_columns, to_rows, weight_gradient
from matgrad.mistakes import MISTAKES, backward_with_mistake
from matgrad.network import (
    ALGORITHM_6_3,
    ALGORITHM_6_4,
    MLP,
    ForwardRecord,
    Gradients,
    TraceStep,
    backward,
    forward,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "ALGORITHM_6_3",
    "ALGORITHM_6_4",
    "FAIL",
    "LAYOUTS",
    "LOSSES",
    "METHODS",
    "MISTAKES",
    "MLP",
    "PASS",
    "REGULARIZERS",
    "UNRESOLVED",
    "ForwardRecord",
    "GradientCheckReport",
    "Gradients",
    "ParameterCheck",
    "ParameterCost",
    "TraceStep",
    "backward",
    "backward_with_mistake",
    "batched_parameter_gradient",
    "contract",
    "default_step",
    "default_tolerance",
    "forward",
    "frobenius",
    "gradient_check",
    "jacobian_kron",
    "jacobian_tensor",
    "linear",
    "numerical_gradient",
    "outer",
    "parameter_gradient",
    "relative_error",
    "softmax",
    "to_columns",
    "to_rows",
    "unvec",
    "vec",
    "weight_gradient",
]
