"""The subdivision's read-out and set-up against independent oracles.

Cells are keyed by their packed pattern itself up to 64 neurons and by a
128-bit linear hash above; the slots' cells are grouped by one sort. Each
path is checked against the other, against ``np.unique`` and against sums
over Python integers; the balanced copy against the plain float formula.
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from polyregions import Box, ReLUNetwork, Tolerances, enumerate_regions, random_network
from polyregions import complex_cells, skeleton, subdivision
from polyregions.complex_cells import _bit_hashes, _pattern_weights
from polyregions.scaling import balanced_network
from polyregions.skeleton import Skeleton, SubdivisionFallback


def _arrays(rs):
    return (rs.patterns, rs.interior_points, rs.radii, np.asarray(rs.edges),
            np.asarray(rs.edge_neurons))


def _same(a, b):
    assert a.status == b.status and a.n_regions == b.n_regions
    for x, y in zip(_arrays(a), _arrays(b)):
        assert x.shape == y.shape and np.array_equal(x, y)


@pytest.mark.parametrize("d, widths, seed", [
    (1, [5], 0), (2, [1], 0), (2, [8, 8], 1), (2, [32, 32], 0), (3, [6, 5], 2), (4, [5, 4], 3),
])
def test_exact_keys_and_hashed_keys_give_the_same_regions(monkeypatch, d, widths, seed):
    net = random_network(d, widths, bias_std=0.3, random_state=seed)
    box = Box(-np.ones(d), np.ones(d))
    exact = enumerate_regions(net, box, method="subdivision")
    assert exact.stats["engine"] == "subdivision"
    monkeypatch.setattr(complex_cells, "EXACT_KEY_MAX_NEURONS", -1)
    hashed = enumerate_regions(net, box, method="subdivision")
    _same(exact, hashed)
    if net.n_neurons <= 16:  # and the LP engine's pattern set
        assert np.array_equal(exact.patterns, enumerate_regions(net, box, method="lp").patterns)


def test_scrambled_keys_that_collide_fall_back_to_a_full_sort(monkeypatch):
    # 64 neurons leave no room for the row below the key: the keys are scrambled and
    # truncated; a zero scramble makes every truncated key collide
    net = random_network(2, [32, 32], bias_std=0.01, random_state=0)
    box = Box([-1, -1], [1, 1])
    ref = enumerate_regions(net, box, method="subdivision")
    monkeypatch.setattr(subdivision, "_SCRAMBLE", np.uint64(0))
    _same(ref, enumerate_regions(net, box, method="subdivision"))


@settings(max_examples=40, deadline=None)
@given(n_neurons=st.sampled_from([1, 7, 30, 50, 63, 64]), n_keys=st.integers(1, 40),
       n_slots=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_slot_cells_group_the_slots_by_pattern(n_neurons, n_keys, n_slots, seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n_keys, n_neurons)).astype(bool)
    word = np.zeros((n_keys, 64), dtype=bool)
    word[:, :n_neurons] = bits
    distinct = np.packbits(word, axis=1).view(">u8")[:, 0].astype(np.uint64)
    table = rng.integers(0, 2**63, size=(3 * n_slots, 1), dtype=np.uint64)  # garbage elsewhere
    slots = rng.choice(len(table), size=n_slots, replace=False)
    table[slots, 0] = distinct[rng.integers(0, n_keys, size=n_slots)]
    # each distinct key of the slots emitted at one of its slots (and some twice)
    emitted = np.concatenate([slots[table[slots, 0] == k][:1] for k in np.unique(table[slots, 0])])
    emitted = np.concatenate([emitted, emitted[: len(emitted) // 3]])
    inc, P = subdivision._slot_cells(table, True, emitted, None, slots, n_neurons)
    uniq, inverse = np.unique(table[slots, 0], return_inverse=True)  # the oracle
    assert np.array_equal(inc, inverse)
    assert np.array_equal(P.view(">u8")[:, 0], uniq)
    # a distinct key that no cell was emitted at: a structural failure, never a guess
    if len(np.unique(table[slots, 0])) > 1:
        with pytest.raises(SubdivisionFallback, match="not among the cells"):
            subdivision._slot_cells(table, True, emitted[:1], None, slots, n_neurons)


@settings(max_examples=30, deadline=None)
@given(n_neurons=st.integers(1, 90), n_rows=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_bit_hashes_are_sums_of_the_set_bits_weights(n_neurons, n_rows, seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n_rows, n_neurons)).astype(bool)
    packed = np.packbits(bits, axis=1)
    w, tables = _pattern_weights(3, n_neurons, False)
    out = _bit_hashes(packed, tables, np.empty((n_rows, 2), dtype=np.uint64))
    for i in range(n_rows):
        for k in range(2):
            expect = sum(int(w[3 + j, k]) for j in np.flatnonzero(bits[i])) % 2**64
            assert int(out[i, k]) == expect
    # exact keys: neuron j's weight is bit 63 - j, the packed pattern read as a big-endian word
    w1, _ = _pattern_weights(3, min(n_neurons, 64), True)
    assert w1[:3].sum() == 0
    assert [int(x) for x in w1[3:, 0]] == [2 ** (63 - j) for j in range(min(n_neurons, 64))]


def test_cached_tables_are_read_only():
    X, Zv, E, Ze, J = skeleton.box_skeleton(np.zeros(3), np.ones(3))
    assert X.flags.writeable and not Zv.flags.writeable and not E.flags.writeable
    w, tables = _pattern_weights(6, 70, False)
    assert not w.flags.writeable and not tables.flags.writeable
    sk = Skeleton(X, Zv, E, Ze, J, m_dom=6, n_neurons=4, rel_tol=1e-12)
    assert not sk.r.flags.writeable and not sk.rsel.flags.writeable


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), zero_row=st.booleans())
def test_balanced_network_rows_are_the_plain_unit_rows(seed, zero_row):
    # at moderate scales the frexp/ldexp arithmetic must agree with the plain float formula:
    # row i of layer l is [W_l[i] * c_{l-1} | b_l[i]] / its norm, c_{l-1} the previous norms
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(1, 6, size=int(rng.integers(1, 4)))]
    d = int(rng.integers(1, 4))
    Ws, bs, prev = [], [], d
    for w in widths + [1]:
        Ws.append(rng.normal(size=(w, prev)) * 10.0 ** rng.uniform(-3, 3))
        bs.append(rng.normal(size=w))
        prev = w
    if zero_row:
        Ws[0][0], bs[0][0] = 0.0, 0.0
    net = ReLUNetwork.from_weights(Ws, bs)
    bal = balanced_network(net)
    c = np.ones(d)
    for l in range(len(widths)):
        A = np.hstack([Ws[l] * c, bs[l][:, None]])
        norm = np.linalg.norm(A, axis=1)
        safe = np.where(norm > 0, norm, 1.0)
        got = np.hstack([bal.weights[l], bal.biases[l][:, None]])
        np.testing.assert_allclose(got, A / safe[:, None], rtol=1e-14, atol=1e-15)
        assert not bal.weights[l].flags.writeable and not bal.biases[l].flags.writeable
        c = norm
    assert not np.any(bal.weights[-1]) and bal.negative_slopes == net.negative_slopes
    x = rng.uniform(-1, 1, size=(50, d))
    assert np.array_equal(bal.activation_patterns(x), net.activation_patterns(x))


def test_memory_budget_reads_the_available_memory(monkeypatch):
    budget = subdivision._memory_budget(None)
    assert 0 < budget <= subdivision._DEFAULT_MAX_MEMORY
    assert subdivision._memory_budget(12345) == 12345.0
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as fh:  # the oracle: the file parsed as text
            avail = float(dict(line.split(":", 1) for line in fh)["MemAvailable"].split()[0]) * 1024
        assert budget == pytest.approx(min(subdivision._DEFAULT_MAX_MEMORY, 0.6 * avail), rel=0.2)

    def fail(*args, **kwargs):
        raise OSError("no /proc")

    monkeypatch.setattr(subdivision.os, "open", fail)
    assert subdivision._memory_budget(None) == subdivision._DEFAULT_MAX_MEMORY


def test_available_memory_is_read_only_for_a_big_complex(monkeypatch):
    # below _MEMORY_FLOOR bytes a run never reads /proc/meminfo; from it on, the budget applies
    calls = []

    def budget(max_memory):
        calls.append(max_memory)
        return 10_000.0

    monkeypatch.setattr(subdivision, "_memory_budget", budget)
    net = random_network(3, [8, 8], random_state=0)
    box = Box(-np.ones(3), np.ones(3))
    assert enumerate_regions(net, box, method="subdivision").status == "exact" and calls == []
    monkeypatch.setattr(subdivision, "_MEMORY_FLOOR", 0)
    with pytest.raises(MemoryError, match="GiB"):
        enumerate_regions(net, box, method="subdivision")
    assert calls == [None]
    # a max_memory given applies from the first byte, without reading the available memory
    monkeypatch.setattr(subdivision, "_MEMORY_FLOOR", 2**40)
    with pytest.raises(MemoryError, match="GiB"):
        subdivision.dispatch(net, box, "subdivision", Tolerances(), max_memory=10_000)
    assert calls == [None]


@settings(max_examples=40, deadline=None)
@given(n_neurons=st.sampled_from([1, 9, 40, 60, 64]), n_keys=st.integers(1, 60),
       sizes=st.lists(st.integers(0, 80), min_size=1, max_size=3), seed=st.integers(0, 2**32 - 1))
def test_lookup_exact_finds_every_query_among_the_keys(n_neurons, n_keys, sizes, seed):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2**63, size=n_keys, dtype=np.uint64) * np.uint64(2)
    keys = np.unique(raw >> np.uint64(64 - n_neurons) << np.uint64(64 - n_neurons))
    queries = [keys[rng.integers(0, len(keys), size=n)] for n in sizes]
    got = subdivision._lookup_exact(keys, n_neurons, *queries)
    for q, g in zip(queries, got):  # the oracle: a binary search
        assert np.array_equal(g, np.searchsorted(keys, q))
    missing = (keys[-1] >> np.uint64(64 - n_neurons)) + np.uint64(1)
    if n_neurons < 64 and missing < np.uint64(2**n_neurons):
        with pytest.raises(SubdivisionFallback, match="not among the cells"):
            subdivision._lookup_exact(keys, n_neurons, *queries,
                                      np.array([missing << np.uint64(64 - n_neurons)]))


@pytest.mark.parametrize("value", [0, 7, 2**80, np.int64(3), None, -1, np.int64(-2), 1.5, True,
                                   "a", np.random.SeedSequence(1), [1, 2]])
def test_random_state_spec_raises_as_check_random_state(value):
    from polyregions._validation import check_random_state, check_random_state_spec

    try:
        check_random_state(value)
    except Exception as exc:  # the oracle: building the generator
        with pytest.raises(type(exc)):
            check_random_state_spec(value)
    else:
        assert check_random_state_spec(value) is None


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(0, 80), n_bytes=st.integers(1, 27), seed=st.integers(0, 2**32 - 1))
def test_sorted_unique_orders_packed_rows_as_bytes(n_rows, n_bytes, seed):
    rng = np.random.default_rng(seed)
    P = rng.integers(0, 3, size=(n_rows, n_bytes)).astype(np.uint8) * 85  # many repeats
    if n_rows > 2:
        P[rng.integers(0, n_rows, n_rows // 2)] = P[0]
    first, inverse = subdivision._sorted_unique(P)
    if n_rows == 0:
        assert len(first) == 0 and len(inverse) == 0
        return
    rows, index, inv = np.unique(P, axis=0, return_index=True, return_inverse=True)  # the oracle
    assert np.array_equal(P[first], rows)
    assert np.array_equal(first, index)  # the earliest row of each
    assert np.array_equal(inverse, inv.reshape(-1))
