"""JSON export: exact round trips, fingerprint checks, strict JSON, H-representations."""

import json

import numpy as np
import pytest

from polyregions import (Ball, Box, Polytope, ReLUNetwork, RegionSet, Slice, Tolerances,
                         enumerate_regions)
from polyregions.network import random_network
from polyregions.export import (FORMAT, equal_results, from_json, result_differences,
                                software_versions, to_json)


def strict_loads(text):
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


CASES = {
    "box2": lambda he_net: enumerate_regions(he_net(2, [9, 7], 0, output_dim=2), Box([-1, -1], [1, 1])),
    "ball3": lambda he_net: enumerate_regions(he_net(3, [6, 4], 1, output_dim=2), Ball([0.1, 0.2, 0.3], 0.7)),
    "whole2": lambda he_net: enumerate_regions(he_net(2, [5], 2, output_dim=2)),
    "slice784": lambda he_net: enumerate_regions(
        he_net(784, [8], 3, output_dim=2), Slice.through_points(*np.random.default_rng(3).random((3, 784)))),
    "polytope": lambda he_net: enumerate_regions(
        he_net(2, [6], 4, output_dim=2), Polytope([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]], [1.0, 1.0, 1.0])),
    "segment1": lambda he_net: enumerate_regions(he_net(1, [12, 12], 5, output_dim=2), Box([-3], [3])),
    "leaky": lambda he_net: enumerate_regions(
        ReLUNetwork.from_weights([[[1.0, 2.0], [-1.0, 0.5]], [[1.0, 1.0]]], [[0.1, 0.2], [0.0]],
                                 negative_slope=0.1), Box([-1, -1], [1, 1])),
    "wide": lambda he_net: enumerate_regions(he_net(2, [13], 6, output_dim=2), Box([-1, -1], [1, 1]),
                                      tolerances=Tolerances(radius=1e-8)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_is_exact(he_net, name):
    rs = CASES[name](he_net)
    text = to_json(rs)
    doc = strict_loads(text)
    assert doc["format"] == FORMAT and doc["n_regions"] == rs.n_regions
    back = from_json(text)
    assert result_differences(rs, back) == []
    assert equal_results(rs, back)
    # float64 bits survive, not just values
    assert back.interior_points.tobytes() == rs.interior_points.tobytes()
    assert back.radii.tobytes() == rs.radii.tobytes()
    assert back.network.fingerprint() == rs.network.fingerprint()
    # and writing it again gives the same text apart from nothing at all
    assert to_json(back) == text


def test_round_trip_of_an_affine_network():
    rs = enumerate_regions(ReLUNetwork.from_weights([[[1.0, 2.0]]], [[0.5]]), Box([-1, -1], [1, 1]))
    assert equal_results(rs, from_json(to_json(rs)))


def test_file_path_and_network_argument(he_net, tmp_path):
    rs = CASES["box2"](he_net)
    path = tmp_path / "regions.json"
    text = to_json(rs, path)
    assert path.read_text() == text
    for source in (path, str(path)):
        back = from_json(source, network=rs.network)
        assert back.network is rs.network and equal_results(rs, back)


def test_wrong_network_and_tampered_weights_are_refused(he_net):
    rs = CASES["box2"](he_net)
    text = to_json(rs)
    with pytest.raises(ValueError, match="not the network"):
        from_json(text, network=he_net(2, [9, 7], 99, output_dim=2))
    doc = json.loads(text)
    doc["network"]["weights"][0][0][0] += 1e-12
    with pytest.raises(ValueError, match="fingerprint"):
        from_json(json.dumps(doc))
    with pytest.raises(ValueError, match="not a polyregions"):
        from_json(json.dumps({"format": "something else"}))
    doc = json.loads(text)
    doc["format_version"] = 99
    with pytest.raises(ValueError, match="upgrade"):
        from_json(json.dumps(doc))


def test_halfspaces_on_request(he_net):
    rs = CASES["ball3"](he_net)
    assert "halfspaces" not in json.loads(to_json(rs))
    doc = json.loads(to_json(rs, include_halfspaces=True))
    assert len(doc["halfspaces"]) == rs.n_regions
    for i in (0, rs.n_regions - 1):
        A, b = rs.halfspaces(i)
        assert np.array_equal(np.array(doc["halfspaces"][i]["A"]), A)
        assert np.array_equal(np.array(doc["halfspaces"][i]["b"]), b)
    assert equal_results(rs, from_json(json.dumps(doc)))


def test_status_versions_and_non_finite_stats(he_net):
    rs = enumerate_regions(he_net(2, [10, 10], 7, output_dim=2), Box([-1, -1], [1, 1]), max_regions=5)
    assert not rs.complete
    rs.stats["weird"] = [float("inf"), float("-inf"), 1.5]
    text = to_json(rs)
    doc = strict_loads(text)
    assert doc["complete"] is False and doc["stop_reason"] == "max_regions"
    assert set(doc["software"]) >= {"polyregions", "numpy", "scipy", "highspy", "python"}
    assert doc["software"] == software_versions()
    assert len(doc["network"]["sha256"]) == 64
    back = from_json(text)
    assert back.stats["weird"] == [float("inf"), float("-inf"), 1.5]
    assert not back.complete and back.n_regions == 5 and equal_results(rs, back)


def test_patterns_are_packed_hex(he_net):
    rs = CASES["box2"](he_net)
    doc = json.loads(to_json(rs))
    assert doc["pattern_encoding"] == "packbits-hex" and doc["n_neurons"] == 16
    assert all(len(h) == 4 for h in doc["patterns"])  # 16 neurons -> 2 bytes
    first = np.unpackbits(np.frombuffer(bytes.fromhex(doc["patterns"][0]), np.uint8))
    assert np.array_equal(first[:16].astype(bool), rs.patterns[0])


def test_result_differences_names_the_field(he_net):
    rs = CASES["box2"](he_net)
    radii = rs.radii.copy()
    radii[0] = np.nextafter(radii[0], 1.0)  # one ulp
    other = RegionSet(rs.network, rs.domain, rs.patterns, rs.interior_points, radii, rs.edges,
                      rs.edge_neurons, rs.complete, rs.stop_reason, rs.n_thin, rs.tolerances,
                      rs.stats)
    assert result_differences(rs, other) == ["radii"]
    assert not equal_results(rs, other)
    other = RegionSet(rs.network, rs.domain, rs.patterns, rs.interior_points, rs.radii, rs.edges,
                      rs.edge_neurons, False, "time_limit", 3, Tolerances(radius=1e-8), {})
    assert result_differences(rs, other) == ["tolerances", "complete", "stop_reason", "n_thin",
                                             "stats"]
    assert result_differences(rs, other, compare_stats=False)[-1] == "n_thin"


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["edges"].append([0, 10_000]) or d["edge_neurons"].append([0]), "edges"),
    (lambda d: d["edges"].append([1, 1]) or d["edge_neurons"].append([0]), "edges"),
    (lambda d: d["edge_neurons"].pop(), "edge_neurons"),
    (lambda d: d["edge_neurons"].__setitem__(0, [999]), "edge_neurons"),
    (lambda d: d["radii"].pop(), "radii"),
    (lambda d: d.__setitem__("n_regions", d["n_regions"] + 1), "regions"),
    (lambda d: d["interior_points"].__setitem__(0, [0.0]), "coordinates"),
    (lambda d: d["radii"].__setitem__(0, -1.0), "radius"),
    (lambda d: d.__setitem__("complete", False), "stop_reason"),
    (lambda d: d["patterns"].__setitem__(0, d["patterns"][0] + "00"), "bytes"),
])
def test_inconsistent_documents_are_refused(he_net, edit, message):
    # The weights' fingerprint says nothing about the rest of the file: a
    # truncated or hand-edited document used to load into a broken RegionSet.
    doc = json.loads(to_json(CASES["box2"](he_net)))
    edit(doc)
    with pytest.raises(ValueError, match=message):
        from_json(json.dumps(doc))


# ------------------------------------------- validation and re-certification
def _doc(he_net, name="box2"):
    return json.loads(to_json(CASES[name](he_net)))


def _remove_region(doc, k):
    """Delete region k with its edges and renumber: a consistent-looking file."""
    keep = [i for i in range(doc["n_regions"]) if i != k]
    new = {old: i for i, old in enumerate(keep)}
    for f in ("patterns", "interior_points", "radii"):
        doc[f] = [doc[f][i] for i in keep]
    pairs = [(e, n) for e, n in zip(doc["edges"], doc["edge_neurons"]) if k not in e]
    doc["edges"] = [[new[a], new[b]] for (a, b), _ in pairs]
    doc["edge_neurons"] = [n for _, n in pairs]
    doc["n_regions"] -= 1


def _duplicate_region(doc, k):
    for f in ("patterns", "interior_points", "radii"):
        doc[f].append(doc[f][k])
    doc["n_regions"] += 1


def _scale_radius(doc, k, factor):
    doc["radii"][k] *= factor


def _largest(doc):
    return int(np.argmax(doc["radii"]))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["radii"].__setitem__(0, 1e6), "radii: 1 radii exceed"),
    (lambda d: d["radii"].__setitem__(3, {"$float": "inf"}), "field 'radii': entry 3 holds inf"),
    (lambda d: _scale_radius(d, 5, 1.001), "radii: 1 radii exceed"),
    (lambda d: d["interior_points"][2].__setitem__(0, {"$float": "nan"}),
     "field 'interior_points': entry 2 holds nan"),
    (lambda d: d["interior_points"][2].__setitem__(0, True), "entry 2 holds True"),
    (lambda d: d["interior_points"].__setitem__(0, [5.0, 5.0]), "outside the domain"),
    (lambda d: d.__setitem__("n_thin", -5), "field 'n_thin': -5 is not a count"),
    (lambda d: d.__setitem__("n_undecided", 1.5), "field 'n_undecided'"),
    (lambda d: d.__setitem__("format_version", -1), "field 'format_version': -1"),
    (lambda d: d.__setitem__("format_version", "2"), "field 'format_version'"),
    (lambda d: d.__setitem__("format_version", True), "field 'format_version'"),
    (lambda d: _duplicate_region(d, 4), "regions 4 and .* have the same pattern"),
    (lambda d: _remove_region(d, _largest(d)), "a pattern no region has"),
    (lambda d: d.__setitem__("status", "exact_at_resolution"), "field 'status'"),
    (lambda d: d.__setitem__("n_merged", 2), "field 'status'"),
    (lambda d: d.__setitem__("extra", 1), r"fields \['extra'\] are unknown"),
    (lambda d: d.pop("radii"), r"fields \['radii'\] are missing"),
    (lambda d: d["edges"].append(list(d["edges"][0])) or d["edge_neurons"].append([0]),
     "joined twice"),
    (lambda d: d["edge_neurons"].__setitem__(0, [0, 0]), "distinct neurons"),
    (lambda d: d["patterns"].__setitem__(1, d["patterns"][0][:-1] + "f"), "pattern"),
    (lambda d: d["tolerances"].__setitem__("radius", -1.0), "field 'tolerances'"),
    (lambda d: d["tolerances"].__setitem__("speed", 1.0), "field 'tolerances'"),
    (lambda d: d["domain"].pop("hi"), "field 'domain'"),
    (lambda d: d["domain"].__setitem__("lo", [-1.0, -1.0, -1.0]), "field 'domain'"),
    (lambda d: d.__setitem__("stats", [1]), "field 'stats'"),
    (lambda d: d.__setitem__("complete", 1), "field 'complete'"),
    (lambda d: d.__setitem__("stop_reason", "undecided") or d.__setitem__("complete", False)
     or d.__setitem__("status", "lower_bound"), "n_undecided is 0"),
])
def test_from_json_names_the_bad_field(he_net, edit, message):
    doc = _doc(he_net)
    edit(doc)
    with pytest.raises(ValueError, match=message):
        from_json(json.dumps(doc))


def test_a_small_removed_region_needs_verify(he_net):
    # Documented limit: a tiny region removed with its edges passes the cheap checks; the volume
    # sum of rs.verify() finds it.
    from polyregions.lp import chebyshev_ball

    rs0 = CASES["box2"](he_net)
    # the smallest region by its Chebyshev radius (an engine's own points need not be centred)
    k = int(np.argmin([chebyshev_ball(*rs0.halfspaces(i), radius_cap=np.inf)[1]
                       for i in range(rs0.n_regions)]))
    doc = json.loads(to_json(rs0))
    _remove_region(doc, k)
    rs = from_json(json.dumps(doc))
    assert rs.n_regions == doc["n_regions"] and not rs.verify().ok


def test_bare_non_finite_tokens_and_recertify_off(he_net):
    text = to_json(CASES["box2"](he_net))
    with pytest.raises(ValueError, match="Infinity"):
        from_json(text.replace('"radii": [', '"radii": [Infinity, ', 1))
    doc = json.loads(text)
    doc["radii"][0] *= 2
    assert from_json(json.dumps(doc), recertify=False).radii[0] == doc["radii"][0]


def test_from_json_sources(he_net, tmp_path):
    for source, error, message in [
        ("", ValueError, "empty string"),
        ("   \n", ValueError, "empty string"),
        ("[1, 2]", ValueError, "JSON object; got list"),
        ("3", ValueError, "got int"),
        ("null", ValueError, "got NoneType"),
        ('"text"', ValueError, "got str"),
        ("{not json", ValueError, "not valid JSON"),
        (str(tmp_path / "missing.json"), FileNotFoundError, "no file"),
        (tmp_path / "missing.json", FileNotFoundError, "no file"),
        (tmp_path, ValueError, "directory"),
        (3, TypeError, "JSON text or a path"),
    ]:
        with pytest.raises(error, match=message):
            from_json(source)
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        from_json(tmp_path / "empty.json")
    rs = CASES["box2"](he_net)
    assert equal_results(rs, from_json(to_json(rs).encode()))


def test_status_fields_round_trip_and_version_1_files(he_net):
    rs = CASES["box2"](he_net)
    for kw, status in (({"n_merged": 2}, "exact_at_resolution"),
                       ({"n_undecided": 3}, "lower_bound")):
        other = RegionSet(rs.network, rs.domain, rs.patterns, rs.interior_points, rs.radii,
                          rs.edges, rs.edge_neurons, True, None, 0, rs.tolerances, rs.stats, **kw)
        doc = json.loads(to_json(other))
        assert doc["status"] == status and doc["n_merged"] == kw.get("n_merged", 0)
        back = from_json(json.dumps(doc))
        assert back.status == status and equal_results(other, back)
    doc = json.loads(to_json(rs))
    for f in ("status", "n_merged", "n_undecided"):
        doc.pop(f)
    doc["format_version"] = 1
    assert equal_results(rs, from_json(json.dumps(doc)))
