"""The feature-visualization speed-ups compute what the plain computation computes: a layer's tail
(each image's own channel only), rectifiers clamping in place, the colour decorrelation as one
product, the batch's resampling as one image, and the allocator setting (tested for its effect)."""

import dataclasses
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from lucent.optvis import param

from generate.config import FeatureVisParams
from generate.models.layers import PRE, capture, rectifiers_in_place, redirected_relus
from generate.stages.optimisation import NEURON, _image, visualize
from generate.stages.transforms import Transforms

PARAMS = FeatureVisParams(size=40, steps=36, batch=8)  # 32 steps with redirected ReLUs, 4 without


def test_every_expanding_depthwise_layer_has_a_tail_equal_to_the_layer(lite0):
    """From the previous block's output, each image's own channel, as the whole layer computes it."""
    torch.manual_seed(0)
    images = torch.rand(3, 3, 72, 72)
    tails = [spec for spec in lite0.specs.values() if spec.tail is not None]
    assert [spec.name for spec in tails] == [f"blocks.{i}.dw" for i in range(1, 16)]
    assert lite0.specs["blocks.0.dw"].tail is None, "block 0 has no expansion"
    for spec in tails:
        source = lite0.layer(spec.tail.source)
        with torch.no_grad(), capture([source, spec]) as acts:
            lite0.module(lite0.preprocess(images).contiguous(memory_format=torch.channels_last))
        layer = acts[spec.name + PRE]
        channels = torch.tensor([0, layer.shape[1] - 1, layer.shape[1] // 3])
        with torch.no_grad():
            own = spec.tail.forward(acts[source.name], channels)
        expected = layer[torch.arange(3), channels][:, None]
        assert own.shape == expected.shape
        assert (own - expected).abs().max() <= 1e-5 * max(1.0, float(expected.abs().max())), spec.name


def test_a_tail_gives_the_images_of_the_whole_layer(lite0):
    with_tail = lite0.specs["blocks.1.dw"]
    try:
        lite0.specs["blocks.1.dw"] = dataclasses.replace(with_tail, tail=None)
        whole = visualize(lite0, "blocks.1.dw", [4, 50], PARAMS)
        whole_neuron = visualize(lite0, "blocks.1.dw", [4], PARAMS, kind=NEURON)
    finally:
        lite0.specs["blocks.1.dw"] = with_tail
    tail = visualize(lite0, "blocks.1.dw", [4, 50], PARAMS)
    tail_neuron = visualize(lite0, "blocks.1.dw", [4], PARAMS, kind=NEURON)
    for a, b in ((whole[4], tail[4]), (whole[50], tail[50]), (whole_neuron[4], tail_neuron[4])):
        assert np.abs(a.images.astype(int) - b.images.astype(int)).max() <= 1
        assert abs(a.objective - b.objective) <= 1e-4 * max(1.0, abs(a.objective))


def test_rectifiers_in_place_give_the_same_images_and_are_restored(lite0):
    assert lite0.rectifiers_in_place
    try:
        lite0.rectifiers_in_place = False
        copied = visualize(lite0, "blocks.6.dw", [5, 7], PARAMS)
    finally:
        lite0.rectifiers_in_place = True
    in_place = visualize(lite0, "blocks.6.dw", [5, 7], PARAMS)
    for unit in (5, 7):
        assert np.array_equal(copied[unit].images, in_place[unit].images)
        assert copied[unit].objective == pytest.approx(in_place[unit].objective, rel=1e-5)
    relus = [m for m in lite0.module.modules() if isinstance(m, torch.nn.ReLU6)]
    assert relus and not any(m.inplace for m in relus), "the model's rectifiers are left as they were"


def test_redirected_rectifiers_in_place_pass_the_same_gradients(lite0):
    """A dead image (every input below zero) gets the redirected gradient upwards, alive ones the
    ordinary gradient, whether the rectifier clamps a copy or its input."""
    block = lite0.module._blocks[2]
    grads = []
    for inplace in (False, True):
        x = torch.linspace(-3, 9, 2 * 4 * 5 * 5).view(2, 4, 5, 5)
        x[1] = -x[1].abs() - 0.5  # image 1: dead everywhere
        leaf = x.clone().requires_grad_()
        with redirected_relus(block, inplace=inplace):
            out = block._swish(leaf * 1.0)  # a non-leaf input, as a convolution's output is
        out.backward(torch.sin(torch.arange(out.numel(), dtype=torch.float32)).view_as(out))  # both signs
        grads.append(leaf.grad)
    assert torch.equal(grads[0], grads[1])
    assert grads[0][1].abs().sum() > 0, "the dead image still gets a gradient"
    with rectifiers_in_place(block, enabled=False):
        assert not block._swish.inplace


def test_the_image_parameterisation_is_lucents(lite0):
    for fft in (True, False):
        for decorrelate in (True, False):
            torch.manual_seed(1)
            lucent_params, lucent_image = param.image(24, batch=3, fft=fft, decorrelate=decorrelate)
            torch.manual_seed(1)
            params, image = _image(24, 3, fft, decorrelate)
            assert params[0].shape == lucent_params[0].shape
            assert torch.allclose(image(), lucent_image(), atol=1e-6)


def test_the_batch_is_resampled_as_each_image_alone():
    torch.manual_seed(0)
    images = torch.rand(5, 3, 40, 40)
    transforms = Transforms.for_canvas(40)
    for seed in range(4):
        np.random.seed(seed)
        together = transforms(images)
        alone = []
        for image in images:
            np.random.seed(seed)
            alone.append(transforms(image[None]))
        assert torch.equal(together, torch.cat(alone))


FAULTS = textwrap.dedent("""
    import resource, sys
    from generate.allocator import keep_freed_memory
    from generate.config import FeatureVisParams
    from generate.models import load_model
    from generate.stages.optimisation import visualize
    if sys.argv[1] == "keep" and not (keep_freed_memory() and keep_freed_memory()):
        sys.exit(print(-1))  # not glibc: nothing to set
    model, params = load_model("efficientnet_lite0"), FeatureVisParams(size=96, steps=4, batch=8)
    for _ in range(2):  # the heap grows to what a step needs
        visualize(model, "blocks.3.dw", list(range(8)), params)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    visualize(model, "blocks.3.dw", list(range(8)), params)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_tensors_are_reused_without_page_faults():
    def faults(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True, check=True)
        return int(run.stdout.strip())

    default = faults("default")
    if default < 1_000:
        pytest.skip(f"{default} page faults without the setting: this allocator keeps freed blocks already")
    kept = faults("keep")  # glibc hands each freed block of many MB back to the kernel without it
    if kept < 0:
        pytest.skip("not glibc: keep_freed_memory has nothing to set")
    assert kept < default / 10, "freed blocks are reused: 0-1 faults against 21,000-36,000 measured"
