"""Plain-numpy kernels of the layers of a :class:`~polyregions.plnetwork.PLNetwork`.

Every affine layer acts on a batch of flattened tensors ``Z`` of shape
``(rows, n_in)``. The same kernels serve the forward pass (rows are points)
and the region algebra (rows are the columns of an input map plus one row for
the offset), so a convolution stays a convolution: a region of a 2-D slice
costs three convolutions of the image, never a dense ``(n_out, n_in)`` matrix.

>>> import numpy as np
>>> avg_pool_matrix(4, kernel=2, stride=2, padding=0, count_include_pad=True).tolist()
[[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_LETTERS = "ijkl"


def conv(X, in_shape, weight, stride, pads, dilation, groups):
    """Cross-correlation (torch/ONNX ``Conv`` without bias) of flattened inputs.

    ``X`` has shape ``(rows, prod(in_shape))`` with ``in_shape = (C, *S)``;
    ``weight`` is ``(O, C // groups, *K)``; ``pads`` is one ``(begin, end)``
    pair per spatial axis. Returns ``(rows, O * prod(S_out))``.
    """
    nd = weight.ndim - 2
    rows = X.shape[0]
    C = in_shape[0]
    Xr = X.reshape((rows,) + tuple(in_shape))
    if any(p != (0, 0) for p in pads):
        Xr = np.pad(Xr, [(0, 0), (0, 0)] + [tuple(p) for p in pads])
    K = weight.shape[2:]
    eff = tuple(dilation[i] * (K[i] - 1) + 1 for i in range(nd))
    win = sliding_window_view(Xr, eff, axis=tuple(range(2, 2 + nd)))
    sl = ((slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
          + tuple(slice(None, None, d) for d in dilation))
    win = win[sl]  # (rows, C, *S_out, *K)
    s_out = win.shape[2:2 + nd]
    g = groups
    O = weight.shape[0]
    win = win.reshape((rows, g, C // g) + s_out + K)
    Wg = weight.reshape((g, O // g, C // g) + K)
    sp = "xyz"[:nd]
    ks = _LETTERS[:nd]
    out = np.einsum(f"rgc{sp}{ks},goc{ks}->rgo{sp}", win, Wg, optimize=True)
    return out.reshape(rows, -1)


def conv_output_shape(in_shape, weight, stride, pads, dilation):
    """``(O, *S_out)`` of :func:`conv`."""
    nd = weight.ndim - 2
    S = in_shape[1:]
    out = []
    for i in range(nd):
        eff = dilation[i] * (weight.shape[2 + i] - 1) + 1
        n = S[i] + pads[i][0] + pads[i][1] - eff
        if n < 0:
            raise ValueError(
                f"the kernel (extent {eff}) is larger than the padded input ({S[i] + sum(pads[i])}) "
                f"along spatial axis {i}."
            )
        out.append(n // stride[i] + 1)
    return (int(weight.shape[0]),) + tuple(out)


def avg_pool_matrix(n, kernel, stride, padding, count_include_pad):
    """``(n_out, n)`` averaging matrix of one spatial axis (``padding`` = ``(begin, end)`` or int).

    Averaging over a box is separable: the divisor of a window is the product
    of the per-axis divisors, with or without the padded positions.
    """
    pb, pe = (padding, padding) if np.ndim(padding) == 0 else padding
    n_out = (n + pb + pe - kernel) // stride + 1
    if n_out < 1:
        raise ValueError(f"the pooling window ({kernel}) is larger than the padded input ({n + pb + pe}).")
    P = np.zeros((n_out, n))
    for i in range(n_out):
        lo, hi = i * stride - pb, i * stride - pb + kernel
        a, b = max(lo, 0), min(hi, n)
        P[i, a:b] = 1.0 / (kernel if count_include_pad else max(b - a, 1))
    return P


def adaptive_avg_pool_matrix(n, n_out):
    """``(n_out, n)`` matrix of torch's adaptive average pooling along one axis."""
    P = np.zeros((n_out, n))
    for i in range(n_out):
        a = (i * n) // n_out
        b = -((-(i + 1) * n) // n_out)
        P[i, a:b] = 1.0 / (b - a)
    return P


def separable(X, in_shape, mats):
    """Apply one ``(out_i, in_i)`` matrix per spatial axis of ``(C, *S)`` inputs."""
    rows = X.shape[0]
    nd = len(mats)
    Xr = X.reshape((rows,) + tuple(in_shape))
    sp = "xyz"[:nd]
    up = "XYZ"[:nd]
    spec = f"rc{sp}," + ",".join(f"{up[i]}{sp[i]}" for i in range(nd)) + f"->rc{up}"
    return np.einsum(spec, Xr, *mats, optimize=True).reshape(rows, -1)


def max_pool_windows(in_shape, kernel, stride, pads, dilation):
    """Windows of a max-pool as index arrays into the flattened input.

    Returns ``(idx, valid, out_shape)``: ``idx`` is ``(n_windows, k)`` with the
    real (non-padding) positions of each window first, in row-major window
    order, and ``valid`` marks them; padding positions (``-inf`` in torch and
    ONNX) can never be the maximum and only fill the rows up to ``k``.
    """
    C = in_shape[0]
    S = tuple(in_shape[1:])
    nd = len(S)
    out_sp = []
    for i in range(nd):
        eff = dilation[i] * (kernel[i] - 1) + 1
        n = S[i] + pads[i][0] + pads[i][1] - eff
        if n < 0:
            raise ValueError(f"the pooling window is larger than the padded input along axis {i}.")
        out_sp.append(n // stride[i] + 1)
    k = int(np.prod(kernel))
    offsets = np.stack(np.meshgrid(*[np.arange(kk) for kk in kernel], indexing="ij"), -1).reshape(-1, nd)
    idx, valid = [], []
    flat_in = np.arange(int(np.prod(in_shape))).reshape(in_shape)
    for c in range(C):
        for pos in np.ndindex(*out_sp):
            coords = [np.asarray(pos[i]) * stride[i] - pads[i][0] + offsets[:, i] * dilation[i]
                      for i in range(nd)]
            ok = np.all([(coords[i] >= 0) & (coords[i] < S[i]) for i in range(nd)], axis=0)
            if not ok.any():
                raise ValueError("a max-pool window lies entirely in the padding.")
            real = flat_in[(c,) + tuple(coords[i][ok] for i in range(nd))]
            row = np.zeros(k, dtype=np.intp)
            row[: len(real)] = real
            m = np.zeros(k, dtype=bool)
            m[: len(real)] = True
            idx.append(row)
            valid.append(m)
    return (np.array(idx, dtype=np.intp).reshape(-1, k), np.array(valid, dtype=bool).reshape(-1, k),
            (C,) + tuple(out_sp))
