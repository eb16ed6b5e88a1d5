"""The MNIST lab's own colours, per look, with the contrast they are chosen for (WCAG 2).

Text is at least 4.5:1 against the window it is written on; marks drawn on
the figure are at least 3:1 against black and white pixels and both plot
backgrounds. :func:`contrast_ratio` is the WCAG formula the tests check them with.
"""

from __future__ import annotations

__all__ = ["ABOVE_TEXT", "FRAME", "MARK", "contrast_ratio", "lab_color"]

#: A sum above the threshold in the hover read-out (light look, dark look).
ABOVE_TEXT = ("#A34400", "#FFB26B")
#: The outline of the hovered pixel and of the kernel's window on the digit: a mid-tone
#: orange, ≥ 3:1 against white (an all-white mask), black ink-free pixels and both backgrounds.
MARK = ("#D55E00", "#D55E00")
#: The frame around every image, so an all-white (or all-black) image still shows its edge.
FRAME = ("#767676", "#9A9A9A")


def lab_color(pair: tuple[str, str], dark: bool) -> str:
    """The colour of ``pair`` for the light (``dark=False``) or the dark look."""
    return pair[1] if dark else pair[0]


def _luminance(color: str) -> float:
    value = color.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours, from 1 (same) to 21 (black on white).

    >>> round(contrast_ratio("#000000", "#FFFFFF"), 1)
    21.0
    """
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
