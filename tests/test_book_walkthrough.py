"""Algorithm 6.4 one executed line at a time."""

import matgrad as mg
from matgrad.book import walkthrough


def test_backward_frames_walk_algorithm_6_4_and_accumulate_gradients():
    frames = walkthrough.backward_frames([3, 4, 2], lam=0.1)
    assert [frame.line for frame in frames] == [0, 2, 3, 4, 5, 2, 3, 4, 5]
    assert frames[0].statement == mg.ALGORITHM_6_4[0].strip()
    assert list(frames[-1].gradients) == ["∇b(2) J", "∇W(2) J", "∇b(1) J", "∇W(1) J"]
    assert frames[3].gradients["∇W(2) J"].shape == (2, 4)
    assert frames[1].gradients == {}
