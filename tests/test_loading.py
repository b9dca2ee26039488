"""Loading networks from files: nothing unpickled by default, every bad file a clear error."""

import json
import pickle
import zipfile
from fractions import Fraction

import numpy as np
import pytest

from polyregions import ReLUNetwork, load_network, random_network
from polyregions.cli import main
from polyregions.loading import network_from_arrays, network_from_state_dict, register_loader

torch = pytest.importorskip("torch")
nn = torch.nn


class _Payload:
    """Unpickling this runs code: it creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def _write_malicious(path, marker, via):
    if via == "torch":
        torch.save({"weights": _Payload(marker)}, path)
    else:
        path.write_bytes(pickle.dumps(_Payload(marker)))


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "model.pkl", "model"])
@pytest.mark.parametrize("via", ["torch", "pickle"])
def test_malicious_pickle_runs_no_code(tmp_path, name, via, capsys):
    marker = tmp_path / "MARKER"
    path = tmp_path / name
    _write_malicious(path, marker, via)
    with pytest.raises(ValueError, match=r"trust=True.*--trust-pickle"):
        load_network(path)
    assert not marker.exists()
    # every CLI command loads through the same door
    for argv in (["count", str(path)], ["estimate", str(path), "--samples", "10"],
                 ["plot", str(path), "-o", str(tmp_path / "x.png")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "--trust-pickle" in err
    assert not marker.exists()


def test_the_payload_is_real_when_trusted(tmp_path):
    # Control: the same file does run code once the user opts in, so the test above can fail.
    marker = tmp_path / "MARKER"
    _write_malicious(tmp_path / "m.pkl", marker, "pickle")
    with pytest.raises(ValueError, match="not a readable torch file"):
        load_network(tmp_path / "m.pkl", trust=True)  # runs exec, then is not a network
    assert marker.exists()


def test_npz_holding_a_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "MARKER"
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="not an .npz archive") as info:
        load_network(path)
    assert "allow_pickle" not in str(info.value)
    assert not marker.exists()


def test_whole_module_needs_trust_and_cli_flag(tmp_path, capsys):
    model = nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(0.1), nn.Linear(5, 1))
    torch.save(model, tmp_path / "whole.pt")
    with pytest.raises(ValueError, match="could run code"):
        load_network(tmp_path / "whole.pt")
    net = load_network(tmp_path / "whole.pt", trust=True)
    assert net.widths == (5,) and net.negative_slopes == (0.1,)
    assert main(["count", str(tmp_path / "whole.pt"), "--box", "-1", "1"]) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    assert main(["count", str(tmp_path / "whole.pt"), "--box", "-1", "1", "--trust-pickle"]) == 0
    with pytest.raises(TypeError, match="True or False"):
        load_network(tmp_path / "whole.pt", trust="yes")


# ------------------------------------------------------------- safe torch
def _forward(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


def test_state_dict_reads_as_the_sequential_mlp(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Dropout(0.1), nn.Linear(6, 4), nn.ReLU(),
                          nn.Linear(4, 2)).eval()
    torch.save(model.state_dict(), tmp_path / "sd.pth")
    net = load_network(tmp_path / "sd.pth")
    assert net.widths == (6, 4) and net.output_dim == 2
    X = np.random.default_rng(0).normal(size=(40, 3))
    np.testing.assert_allclose(net.forward(X), _forward(model, X), rtol=1e-5, atol=1e-5)
    # wrapped in a training checkpoint, under a prefix
    wrapper = nn.Module()
    wrapper.body = model
    torch.save({"epoch": 3, "model_state_dict": wrapper.state_dict()}, tmp_path / "ckpt.pt")
    assert load_network(tmp_path / "ckpt.pt").fingerprint() == net.fingerprint()


def test_adjacent_linear_layers_compose(tmp_path):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 5), nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1),
                          nn.Linear(1, 1, bias=False))
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    net = load_network(tmp_path / "sd.pt")
    assert net.widths == (3,)
    X = np.random.default_rng(1).normal(size=(30, 2))
    np.testing.assert_allclose(net.forward(X), _forward(model, X), rtol=1e-5, atol=1e-5)


def test_lists_and_named_dicts_of_tensors(tmp_path):
    ref = random_network(2, [4, 3], output_dim=2, random_state=0)
    tensors = [torch.tensor(np.array(a)) for W, b in zip(ref.weights, ref.biases) for a in (W, b)]
    for i, obj in enumerate([tensors, list(zip(tensors[::2], tensors[1::2])),
                             {f"{'W' if k % 2 == 0 else 'b'}{k // 2}": t
                              for k, t in enumerate(tensors)}]):
        torch.save(obj, tmp_path / f"{i}.pt")
        assert load_network(tmp_path / f"{i}.pt").fingerprint() == ref.fingerprint()


@pytest.mark.parametrize("obj, message", [
    (nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)).state_dict(),
     "running_mean"),
    (nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), nn.Linear(2, 1)).state_dict(), "2-D weights"),
    ({"0.weight": torch.ones(3, 2), "2.weight": torch.ones(1, 4)}, "expects 4 inputs"),
    ({"a.0.weight": torch.ones(3, 2), "b.2.weight": torch.ones(1, 3)}, "several modules"),
    ({"0.weight": torch.ones(3, 2, dtype=torch.complex64)}, "complex"),
    ({"0.weight": torch.full((1, 2), float("nan"))}, "NaN"),
    ([torch.ones(3, 2), torch.zeros(3), torch.ones(1, 3)], "even number"),
    (torch.ones(2, 2), "holds a Tensor"),
    ({}, "expected"),
])
def test_unreadable_torch_contents(tmp_path, obj, message):
    torch.save(obj, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match=message):
        load_network(tmp_path / "bad.pt")


# --------------------------------------------------------------- bad files
def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _good_npz(path):
    random_network(2, [3], random_state=0).save_npz(path)
    return path


def _truncated(path):
    data = _good_npz(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupt_member(path):
    # A valid zip whose W0 member is not a .npy array.
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W0.npy", b"not an array at all")
        z.writestr("b0.npy", b"")
    return path


W, B = np.ones((3, 2)), np.zeros(3)
W1, B1 = np.ones((1, 3)), np.zeros(1)

BAD_FILES = {
    "empty": (lambda p: p.write_bytes(b"") and p or p, "is empty"),
    "truncated": (_truncated, "not a valid .npz"),
    "not a zip": (lambda p: p.write_bytes(b"hello, I am text\n" * 20) and p or p,
                  "not an .npz archive"),
    "single npy": (lambda p: np.save(p.with_suffix(".npy"), W)
                   or p.with_suffix(".npy").rename(p) or p, "single .npy array"),
    "corrupt member": (_corrupt_member, "W0"),
    "wrong keys": (lambda p: _npz(p, A=W, c=B), "expected arrays named W0"),
    "extra key": (lambda p: _npz(p, W0=W, b0=B, W1=W1, b1=B1, note=B), "unexpected arrays"),
    "missing bias": (lambda p: _npz(p, W0=W, b0=B, W1=W1), r"lacks bias arrays \['b1'\]"),
    "orphan bias": (lambda p: _npz(p, W0=W1, b0=B1, b1=B1), "without their weight"),
    "gap": (lambda p: _npz(p, W0=W, b0=B, W2=W1, b2=B1), "gap: W0, W2 without W1"),
    "leading zero": (lambda p: _npz(p, W0=W, b0=B, W01=W1, b01=B1), "unexpected arrays"),
    "complex": (lambda p: _npz(p, W0=W + 1j, b0=B), "complex"),
    "object": (lambda p: _npz(p, W0=np.array([[1.0, "x"]], dtype=object), b0=B1),
               "without unpickling"),
    "strings": (lambda p: _npz(p, W0=np.array([["1", "2"]]), b0=B1), "string"),
    "shapes": (lambda p: _npz(p, W0=W, b0=B, W1=np.ones((1, 4)), b1=B1), "expects 4 inputs"),
    "bias shape": (lambda p: _npz(p, W0=W, b0=np.zeros(2), W1=W1, b1=B1), "expected shape"),
    "nan": (lambda p: _npz(p, W0=W * np.nan, b0=B, W1=W1, b1=B1), "NaN"),
    "inf": (lambda p: _npz(p, W0=W, b0=B, W1=W1 * np.inf, b1=B1), "infinite"),
    "slopes": (lambda p: _npz(p, W0=W, b0=B, W1=W1, b1=B1, negative_slopes=np.zeros(3)),
               "negative_slopes has shape"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_npz_files(tmp_path, name, monkeypatch, capsys):
    make, message = BAD_FILES[name]
    path = make(tmp_path / "net.npz")
    with pytest.raises(ValueError, match=message) as info:
        load_network(path)
    assert "net.npz" in str(info.value)
    # The CLI stops with exit 2 before any enumeration.
    import polyregions.enumeration

    def no_enumeration(*args, **kwargs):
        raise AssertionError("enumeration started on a bad file")

    monkeypatch.setattr(polyregions.enumeration, "enumerate_regions", no_enumeration)
    assert main(["count", str(path), "--box", "-1", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_bad_torch_files(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "text.pt").write_text("not a checkpoint")
    torch.save(nn.Linear(2, 1).state_dict(), tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    for name in ("empty.pt", "text.pt", "cut.pt"):
        with pytest.raises(ValueError, match="not a readable torch file"):
            load_network(tmp_path / name)


def test_paths(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="directory"):
        load_network(tmp_path)
    with pytest.raises(ValueError, match="empty"):
        load_network("")
    with pytest.raises(TypeError, match="str or path"):
        load_network(3)


# ----------------------------------------------------- arrays and dicts
def test_from_weights_refuses_complex_and_strings_but_takes_fractions():
    with pytest.raises(ValueError, match="complex"):
        ReLUNetwork.from_weights([np.ones((1, 2)) * (1 + 2j)], [np.zeros(1)])
    with pytest.raises(ValueError, match="string"):
        ReLUNetwork.from_weights([np.array([["1.0", "2.0"]])], [np.zeros(1)])
    with pytest.raises(ValueError, match="non-numeric"):
        ReLUNetwork.from_weights([[[1.0, None]]], [[0.0]])
    with pytest.raises(ValueError, match="negative_slope"):
        ReLUNetwork.from_weights([W, W1], [B, B1], negative_slope="leaky")
    net = ReLUNetwork.from_weights([[[Fraction(1, 2), 1]]], [[Fraction(1, 4)]])
    assert net.weights[0].tolist() == [[0.5, 1.0]] and net.biases[0].tolist() == [0.25]


def test_to_dict_round_trip_and_json_file(tmp_path):
    net = ReLUNetwork.from_weights([W * 0.3, W1], [B + 0.1, B1], negative_slope=0.2)
    d = net.to_dict()
    json.dumps(d, allow_nan=False)  # strict JSON
    back = ReLUNetwork.from_dict(json.loads(json.dumps(d)))
    assert back.fingerprint() == net.fingerprint() and back.negative_slopes == (0.2,)
    (tmp_path / "net.json").write_text(json.dumps(d))
    assert load_network(tmp_path / "net.json").fingerprint() == net.fingerprint()
    d["weights"][0][0][0] += 1e-15
    with pytest.raises(ValueError, match="fingerprint"):
        ReLUNetwork.from_dict(d)
    for bad, message in ([1, 2], "dict"), ({"weights": 1, "biases": []}, "'weights'"), (
            {"weights": [], "biases": [], "extra": 1}, "unexpected fields"):
        with pytest.raises(ValueError, match=message):
            ReLUNetwork.from_dict(bad)


def test_register_loader_extends_the_dispatch(tmp_path):
    from polyregions import loading

    ref = random_network(2, [3], random_state=0)
    (tmp_path / "net.fake").write_text("anything")
    register_loader(".fake", lambda path, trust: ref)
    try:
        assert load_network(tmp_path / "NET.FAKE".lower()) is ref
    finally:
        loading.LOADERS.pop(".fake")
    assert network_from_arrays({"W0": W1, "b0": B1}).widths == ()
    assert network_from_state_dict({"0.weight": W1}).biases[0].tolist() == [0.0]
