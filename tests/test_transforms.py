"""The one-resampling transforms against lucent's chain of transforms, draw for draw."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from lucent.optvis import transform

from generate.stages.transforms import ANGLES, LUCENT_CANVAS, SCALES, Transforms


def lucent_chain(size: int):
    """lucent's standard transforms with the amounts `Transforms.for_canvas` uses."""
    t = Transforms.for_canvas(size)
    return transform.compose([transform.pad(t.pad, mode="constant", constant_value=0.5), transform.jitter(t.jitter),
                              transform.random_scale(SCALES), transform.random_rotate(ANGLES),
                              transform.jitter(t.jitter_after)])


def smooth_images(size: int, n: int = 2) -> torch.Tensor:
    torch.manual_seed(0)
    return F.interpolate(torch.rand(n, 3, size // 8, size // 8), size=(size, size), mode="bilinear",
                         align_corners=True)


@pytest.mark.parametrize("size", [96, 40])
def test_one_resampling_reproduces_lucents_chain(size):
    images = smooth_images(size)
    ours, lucent = Transforms.for_canvas(size), lucent_chain(size)
    unrotated = 0
    for seed in range(8):
        np.random.seed(seed)
        expected = lucent(images)
        np.random.seed(seed)
        got = ours(images)
        assert got.shape == expected.shape, "the same draws give the same output size"
        diff = (got - expected).abs()
        # one bilinear resampling instead of two: close everywhere, equal when nothing rotates
        assert diff.mean() < 0.01 and diff.max() < 0.3
        unrotated += bool(diff.max() < 1e-4)
    assert unrotated >= 1, "seeds 0, 2 and 5 draw angle 0: the transforms are then exact"


def test_the_draws_are_lucents_and_a_seed_repeats_them():
    images = smooth_images(96)
    np.random.seed(3)
    first = Transforms()(images)
    after = np.random.rand()
    np.random.seed(3)
    transform.compose(transform.standard_transforms)(images)
    assert np.random.rand() == after, "as many draws from numpy's generator as lucent makes"
    np.random.seed(3)
    assert torch.equal(Transforms()(images), first)


def test_gradients_reach_every_pixel_but_the_border():
    images = smooth_images(96).requires_grad_()
    np.random.seed(1)
    Transforms()(images).sum().backward()
    assert images.grad[:, :, 8:-8, 8:-8].abs().min() > 0


def test_amounts_follow_the_canvas():
    assert Transforms.for_canvas(LUCENT_CANVAS) == Transforms(12, 8, 4)
    small = Transforms.for_canvas(24)
    assert small.jitter >= 2 and small.jitter_after >= 2 and small.pad >= small.jitter
