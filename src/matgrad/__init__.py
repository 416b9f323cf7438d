"""matgrad: Algorithms 6.3 and 6.4 of *Deep Learning* (Goodfellow, Bengio & Courville, §6.5)
in numpy, with the finite differences and gradient checks that prove ``∇W J = g hᵀ``.

This top level is the library: the network and its two algorithms (``network``,
``functions``), finite differences and the gradient check (``finite_differences``,
``checks``, ``rounding``), the matrix calculus of the derivation (``calculus``, ``layouts``,
``parameters``), the classic bugs (``mistakes``) and the layers after the MLP, each forward
with its backward (``layers``: ``mg.layers.conv2d``). It needs numpy only and never imports
:mod:`matgrad.book`, the teaching layer of the book's chapters (examples, figures, widgets),
which builds on it.
"""

from matgrad import layers
from matgrad.calculus import contract, frobenius, jacobian_kron, jacobian_tensor, outer, unvec, vec
from matgrad.checks import (
    FAIL,
    PASS,
    UNRESOLVED,
    GradientCheckReport,
    ParameterCheck,
    check,
    cost_noise,
    default_tolerance,
    gradient_check,
    noise_floor,
    relative_error,
)
from matgrad.finite_differences import (
    METHODS,
    NetworkCost,
    ParameterCost,
    batched_parameter_gradient,
    default_step,
    numerical_gradient,
    parameter_gradient,
)
from matgrad.functions import ACTIVATIONS, LOSSES, REGULARIZERS, softmax
from matgrad.layouts import (
    LAYOUTS,
    gradient_by_rule,
    linear,
    to_columns,
    to_rows,
    weight_gradient,
)
from matgrad.mistakes import MISTAKES, backward_with_mistake, error_pattern, mistake_patterns
from matgrad.network import (
    ALGORITHM_6_4,
    MLP,
    ForwardRecord,
    Gradients,
    TraceStep,
    backward,
    forward,
)
from matgrad.parameters import (
    gradient_vector,
    numerical_gradient_vector,
    parameter_vector,
    with_parameter_vector,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
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
    "NetworkCost",
    "ParameterCheck",
    "ParameterCost",
    "TraceStep",
    "backward",
    "backward_with_mistake",
    "batched_parameter_gradient",
    "check",
    "contract",
    "cost_noise",
    "default_step",
    "default_tolerance",
    "error_pattern",
    "forward",
    "frobenius",
    "gradient_by_rule",
    "gradient_check",
    "gradient_vector",
    "jacobian_kron",
    "jacobian_tensor",
    "layers",
    "linear",
    "mistake_patterns",
    "noise_floor",
    "numerical_gradient",
    "numerical_gradient_vector",
    "outer",
    "parameter_gradient",
    "parameter_vector",
    "relative_error",
    "softmax",
    "to_columns",
    "to_rows",
    "unvec",
    "vec",
    "weight_gradient",
    "with_parameter_vector",
]
