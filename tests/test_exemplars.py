import numpy as np
import torch

from generate.config import ExemplarParams
from generate.data import scan_images
from generate.stages.dataset import _LayerAccumulator, crop_receptive_field, scan_dataset
from generate.models.layers import capture


def test_running_topk_and_moments_equal_brute_force():
    generator = torch.Generator().manual_seed(0)
    acts = torch.randn(23, 6, 5, 4, generator=generator)
    units = [1, 4, 5]
    acc = _LayerAccumulator(units, k=4)
    sampler = torch.Generator().manual_seed(1)
    for start in range(0, 23, 5):
        acc.add(acts[start:start + 5], start, sampler, n_samples=3)
    chosen = acts[:, units].double()
    per_image = chosen.reshape(23, 3, -1).max(dim=2)
    for row in range(3):
        best = per_image.values[:, row].topk(4)
        assert torch.equal(acc.top_images[row], best.indices)
        torch.testing.assert_close(acc.top_values[row], best.values)
        image = int(best.indices[0])
        y, x = divmod(int(acc.top_positions[row, 0]), 4)
        assert chosen[image, row, y, x] == best.values[0]
        stats = acc.stats(row)
        values = chosen[:, row].flatten()
        assert abs(stats.mean - float(values.mean())) < 1e-9
        assert abs(stats.std - float(values.std(unbiased=False))) < 1e-9
        assert stats.max == float(values.max())
        assert stats.fraction_positive == float((values > 0).double().mean())
        assert stats.positions == 23 * 20 and stats.quantile_sample_size == 23 * 3


def test_crop_pads_outside_the_image_with_grey():
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    image[:, :] = 255
    crop = np.asarray(crop_receptive_field(image, (-5, -5, 5, 5), 10))
    assert crop.shape == (10, 10, 3)
    assert crop[0, 0, 0] == 128 and crop[9, 9, 0] == 255


def test_dataset_pass_finds_the_images_that_drive_each_unit(lite0, photo_dir):
    images = scan_images(photo_dir)
    params = ExemplarParams(k=2, batch=3)
    accs = scan_dataset(lite0, {"blocks.1.dw": [0, 5], "blocks.6.dw": [7]}, images, params, progress=False)
    # recompute one unit's per-image maxima directly, full forward pass, no batching
    from generate.data import SquareImages

    data = SquareImages(images, 224)
    maxima = []
    for i in range(len(images)):
        with torch.no_grad(), capture([lite0.layer("blocks.6.dw")]) as acts:
            lite0.module(lite0.preprocess(data[i][None].float() / 255))
        maxima.append(float(acts["blocks.6.dw"][0, 7].max()))
    best = np.argsort(maxima)[::-1][:2]
    assert list(accs["blocks.6.dw"].top_images[0]) == list(best)
    assert np.allclose(accs["blocks.6.dw"].top_values[0].numpy(), np.array(maxima)[best], rtol=1e-4)


def test_saturated_units_are_ranked_and_centred_by_their_pre_activation():
    """Under ReLU6 many positions and images tie at 6: the pre-activation decides, not the order."""
    pre = torch.zeros(3, 1, 4, 5)
    pre[0, 0, 0, 0], pre[0, 0, 2, 3] = 7.0, 9.0  # image 0: saturated twice, most driven at (2, 3)
    pre[1, 0, 1, 1] = 12.0  # image 1: the most driven of all
    pre[2, 0, 3, 4] = 3.0  # image 2: not saturated
    acc = _LayerAccumulator([0], k=3)
    acc.add(pre.clamp(0, 6), 0, torch.Generator().manual_seed(0), 4, pre)
    assert acc.top_images[0].tolist() == [1, 0, 2]
    assert [divmod(int(p), 5) for p in acc.top_positions[0]] == [(1, 1), (2, 3), (3, 4)]
    assert acc.top_values[0].tolist() == [6.0, 6.0, 3.0]  # what is shown: the activation itself
    # the moderate stratum (40-60% of the largest activation) holds image 2 at 3.0 = 50% of 6
    assert acc.moderate(0, 0.4, 0.6, 5) == [(2, 19, 3.0)]
