from torch import nn

from generate.models import load_model
from generate.models.receptive_field import compute_receptive_field


class Stack(nn.Module):
    """conv3 s1 -> conv3 s2 -> conv5 s1 (dilation 2): RF = 1 + 2 + 2*1 + 4*2*... computed below."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.c = nn.Conv2d(4, 4, 5, padding=4, dilation=2)

    def forward(self, x):
        return self.c(self.b(self.a(x)))


def stack_factory():
    return Stack(), {"input_size": 64}


def test_receptive_field_matches_the_analytic_value():
    model = load_model("tests.test_receptive_field:stack_factory")
    # a: 3; b (k3, s2): 3 + 2*1 = 5; c (k5, dilation 2 -> effective 9) at stride 2: 5 + 8*2 = 21
    assert compute_receptive_field(model, "a").size == 3
    assert compute_receptive_field(model, "b").size == 5
    rf = compute_receptive_field(model, "c")
    assert rf.size == 21 and rf.stride == 2
    # position (y, x) of the 32x32 map is centred on input pixel 2y (+0.5 for the pixel centre)
    assert rf.centre(10, 3) == (20.5, 6.5)


def test_lite0_fields_grow_and_deep_ones_exceed_the_input(lite0):
    stem = compute_receptive_field(lite0, "stem")
    early = compute_receptive_field(lite0, "blocks.1.dw")
    deep = compute_receptive_field(lite0, "blocks.9.dw")
    assert stem.size == 3 and stem.stride == 2
    assert early.size == 11 and early.stride == 4
    assert deep.size > 224 and deep.stride == 16
