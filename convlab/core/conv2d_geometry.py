"""Sizes and padding of a 2-D convolution (shared by :func:`conv2d` and its engine).

Sizes and padding follow :func:`scipy.signal.convolve2d` /
:func:`scipy.signal.correlate2d` for ``mode`` ``"full"``, ``"same"`` and
``"valid"``. For ``"same"`` with an even kernel size the total padding
``k - 1`` is split with the smaller half on the left/top for
cross-correlation (as PyTorch and TensorFlow do) and the mirror image for
true convolution, so that ``flip=True`` matches ``convolve2d(mode="same")``.
"""

from __future__ import annotations

from .validation import check_choice

__all__ = ["CONV2D_MODES", "conv2d_output_shape", "conv2d_padding"]

CONV2D_MODES = ("full", "same", "valid")


def conv2d_padding(k: int, mode: str, flip: bool) -> tuple[int, int]:
    """Zeros added (before, after) along one axis for a length-``k`` kernel.

    ``flip=True`` is true convolution, ``False`` cross-correlation (see the
    module docstring for how ``"same"`` splits an even kernel's padding).

    >>> conv2d_padding(3, "full", True), conv2d_padding(4, "same", False)
    ((2, 2), (1, 2))
    """
    if mode == "full":
        return k - 1, k - 1
    if mode == "valid":
        return 0, 0
    small = (k - 1) // 2
    # Correlation: smaller half first. True convolution: the mirror image.
    return (k - 1 - small, small) if flip else (small, k - 1 - small)


def conv2d_output_shape(
    image_shape: tuple[int, int], kernel_shape: tuple[int, int], mode: str = "full"
) -> tuple[int, int]:
    """Height and width of the result of :func:`conv2d` for one image and one kernel.

    Parameters
    ----------
    image_shape : (H, W)
    kernel_shape : (kh, kw)
    mode : {"full", "same", "valid"}

    Returns
    -------
    (H', W') : ``(H+kh-1, W+kw-1)``, ``(H, W)`` or ``(H-kh+1, W-kw+1)``.

    Examples
    --------
    >>> conv2d_output_shape((28, 28), (3, 3), "full")
    (30, 30)
    >>> conv2d_output_shape((28, 28), (3, 3), "valid")
    (26, 26)
    """
    check_choice(mode, "mode", CONV2D_MODES)
    (h, w), (kh, kw) = image_shape, kernel_shape
    if mode == "full":
        return h + kh - 1, w + kw - 1
    if mode == "same":
        return h, w
    if kh > h or kw > w:
        raise ValueError(
            f"in 'valid' mode the kernel ({kh}×{kw}) must fit inside the image ({h}×{w}); "
            "use 'same' or 'full' for a larger kernel"
        )
    return h - kh + 1, w - kw + 1
