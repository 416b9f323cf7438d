"""How long a reader waits after touching a widget: the pure recompute against the full update.

For each widget, at its default settings and at the largest its controls allow, this times

- the pure computation the widget is a view of (functions in matgrad.book: shapes, walkthrough,
  settings_check, step_size),
- the widget's whole update: that computation, the HTML summary and the PNG figure.

Each timed update changes a control the way a reader would (the next seed, the other step),
so a widget that skips a redraw when nothing visible changed is still timed redrawing.

The ratio says where the time goes; anything under ~100 ms feels immediate.

    .venv/bin/python benchmarks/widget_latency.py
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from _common import describe_machine, format_time, median_seconds, print_table

from matgrad.book import examples, settings_check, shapes, step_size, walkthrough, widgets

LARGEST_WIDTHS = [shapes.MAX_WIDTH] * (shapes.MAX_DEPTH + 1)


def shape_explorer_cases():
    explorer = widgets.make_shape_explorer()

    def largest():
        explorer.depth.value = shapes.MAX_DEPTH
        for slider in explorer.width_sliders:
            slider.value = shapes.MAX_WIDTH
        explorer.batch.value = shapes.MAX_BATCH
        explorer.layer.value = shapes.MAX_DEPTH

    def pure():
        layer = shapes.layer_shapes(explorer.widths, explorer.batch.value, explorer.layer.value)
        shapes.judge(explorer.candidate.value, layer)

    yield "shape explorer", "3-4-2, m = 1", pure, explorer.update
    largest()
    label = f"{'-'.join(map(str, explorer.widths))}, m = {shapes.MAX_BATCH}"
    yield "shape explorer", label, pure, explorer.update


def backward_stepper_cases():
    for widths in (examples.DEFAULT_WIDTHS, LARGEST_WIDTHS):
        stepper = widgets.make_backward_stepper(widths=widths)

        def pure(widths=widths):
            walkthrough.backward_frames(widths)

        def one_step(stepper=stepper):
            stepper.position.value = (stepper.position.value + 1) % len(stepper.frames)

        label = "-".join(map(str, widths))
        yield "backward stepper (all frames / one step)", label, pure, one_step


def gradient_checker_cases():
    checker = widgets.make_gradient_checker()
    settings = {
        "3-4-2, m = 2": ("3-4-2", 2),
        "largest, m = 8": ("-".join(map(str, LARGEST_WIDTHS)), checker.batch.max),
    }
    for label, (text, m) in settings.items():
        checker.widths.value, checker.batch.value = text, m

        def pure(text=text, m=m):
            settings_check.check_from_settings(examples.parse_widths(text), m=m, method="central")

        def next_seed(checker=checker):
            checker.seed.value = 1 - checker.seed.value

        yield "gradient checker (next seed)", label, pure, next_seed


def _problem(explorer):
    return examples.example_problem(
        examples.DEFAULT_WIDTHS, activation=explorer.activation.value, m=2, seed=explorer.seed.value
    )


def step_size_cases():
    for activation in ("tanh", "relu"):
        explorer = widgets.make_step_size_explorer()
        explorer.activation.value = activation

        def pure(explorer=explorer):
            step_size.step_errors(*_problem(explorer), explorer.steps)

        label = f"{activation}, {len(explorer.steps)} steps"

        def next_seed(explorer=explorer):
            explorer.seed.value = 1 - explorer.seed.value

        yield "step-size explorer (new curves)", label, pure, next_seed

        def pure_one_step(explorer=explorer):
            step_size.step_errors(*_problem(explorer), (1e-5,))

        def move_the_step(explorer=explorer):
            explorer.step.value = 1e-6 if explorer.step.value == 1e-5 else 1e-5

        yield "step-size explorer (move the step)", activation, pure_one_step, move_the_step


def main() -> None:
    describe_machine()
    rows = []
    for cases in (
        shape_explorer_cases,
        backward_stepper_cases,
        gradient_checker_cases,
        step_size_cases,
    ):
        for widget, setting, pure, update in cases():
            pure_time = median_seconds(pure, budget=5.0)
            update_time = median_seconds(update, budget=5.0)
            rows.append(
                [
                    widget,
                    setting,
                    format_time(pure_time),
                    format_time(update_time),
                    f"{update_time / pure_time:.1f}x",
                ]
            )
    print_table(["widget", "setting", "pure recompute", "full update", "update/pure"], rows)


if __name__ == "__main__":
    main()
