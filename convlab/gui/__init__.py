"""ConvLab's Qt user interface: one module per lab panel, on top of :mod:`convlab.core`."""
