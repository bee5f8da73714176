import numpy as np
import torch

from generate.config import ExemplarParams
from generate.data import scan_images
from generate.models.layers import PRE, capture
from generate.stages.accumulate import LayerAccumulator, batch_partial, combine, moderate, unit_stats
from generate.stages.dataset import crop_receptive_field, scan_dataset


def _accumulate(values: torch.Tensor, units, k, chunk, order=None, ceiling=None, capacity=10_000):
    """Stream `values` [N, C, H, W] through an accumulator in chunks of `chunk` images, in `order`."""
    acc = LayerAccumulator(units, k, len(values), capacity)
    starts = list(range(0, len(values), chunk))
    for start in (order or starts):
        acc.add(batch_partial(values[start:start + chunk], ceiling, units, start, k, 3, capacity, seed=0))
    return acc


def test_streaming_topk_and_moments_equal_brute_force():
    acts = torch.randn(23, 6, 5, 4, generator=torch.Generator().manual_seed(0))
    units = [1, 4, 5]
    acc = _accumulate(acts, units, k=4, chunk=5)
    chosen = acts[:, units].double()
    per_image = chosen.reshape(23, 3, -1).max(dim=2)
    for row in range(3):
        best = per_image.values[:, row].topk(4)
        assert acc.top_images[row].tolist() == best.indices.tolist()
        np.testing.assert_allclose(acc.top_values[row], best.values.numpy())
        y, x = divmod(int(acc.top_positions[row, 0]), 4)
        assert chosen[int(best.indices[0]), row, y, x] == best.values[0]
        stats = unit_stats(acc, row)
        values = chosen[:, row].flatten()
        assert abs(stats.mean - float(values.mean())) < 1e-9
        assert abs(stats.std - float(values.std(unbiased=False))) < 1e-9
        assert stats.max == float(values.max())
        assert stats.fraction_positive == float((values > 0).double().mean())
        assert stats.positions == 23 * 20 and stats.quantile_sample_size == 23 * 3
        np.testing.assert_allclose(acc.image_maxima(row), per_image.values[:, row].numpy(), rtol=1e-6)


def test_chunks_merge_to_the_same_result_in_any_order_and_size():
    """What lets shards and a Ray cluster write the same records: partials merge exactly."""
    acts = torch.randn(40, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    whole = _accumulate(acts, [0, 1, 2], k=5, chunk=8, capacity=50)
    shuffled = _accumulate(acts, [0, 1, 2], k=5, chunk=8, order=[32, 8, 24, 0, 16], capacity=50)
    pairs = [combine(batch_partial(acts[s:s + 8], None, [0, 1, 2], s, 5, 3, 50, 0),
                     batch_partial(acts[s + 8:s + 16], None, [0, 1, 2], s + 8, 5, 3, 50, 0), 5, 50)
             for s in (0, 16)]
    combined = LayerAccumulator([0, 1, 2], 5, 40, 50)
    for partial in pairs + [batch_partial(acts[32:40], None, [0, 1, 2], 32, 5, 3, 50, 0)]:
        combined.add(partial)
    for other in (shuffled, combined):
        for name in ("top_values", "top_images", "top_positions", "total", "maximum"):
            np.testing.assert_allclose(getattr(other, name), getattr(whole, name))
        np.testing.assert_array_equal(np.sort(other.sample_values), np.sort(whole.sample_values))
        assert whole.sample_values.shape == (3, 50)  # capacity bounds the sample: memory stays constant


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
        maxima.append(float(acts["blocks.6.dw" + PRE][0, 7].max()))  # responses are pre-activations
    best = np.argsort(maxima)[::-1][:2]
    assert list(accs["blocks.6.dw"].top_images[0]) == list(best)
    assert np.allclose(accs["blocks.6.dw"].top_values[0], np.array(maxima)[best], rtol=1e-4)


def test_saturated_units_are_ranked_by_their_pre_activation_and_saturation_is_counted():
    """Under ReLU6 many positions and images tie at 6: the pre-activation decides and is what
    every stage measures; positions at the ceiling are counted."""
    pre = torch.zeros(3, 1, 4, 5)
    pre[0, 0, 0, 0], pre[0, 0, 2, 3] = 7.0, 9.0  # image 0: saturated twice, most driven at (2, 3)
    pre[1, 0, 1, 1] = 12.0  # image 1: the most driven of all
    pre[2, 0, 3, 4] = 6.0  # image 2: half the top response
    acc = _accumulate(pre, [0], k=3, chunk=3, ceiling=6.0)
    assert acc.top_images[0].tolist() == [1, 0, 2]
    assert [divmod(int(p), 5) for p in acc.top_positions[0]] == [(1, 1), (2, 3), (3, 4)]
    assert acc.top_values[0].tolist() == [12.0, 9.0, 6.0]
    assert unit_stats(acc, 0).fraction_saturated == 4 / 60
    # the moderate stratum (40-60% of the largest response) holds image 2 at 6 = 50% of 12
    assert moderate(acc, 0, 0.4, 0.6, 5) == [(2, 19, 6.0)]
