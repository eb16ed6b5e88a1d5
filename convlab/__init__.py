"""ConvLab: a visual lab for the mathematics of convolutional neural networks.

The computation lives in :mod:`convlab.core` (numpy/scipy only, no Qt); the
desktop application in :mod:`convlab.gui`, started by :func:`convlab.app.main`.
"""

__version__ = "0.1.0"
