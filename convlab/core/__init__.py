"""ConvLab's computation core: numpy (and lazily scipy) only, never Qt.

Everything the app shows can be reproduced from a notebook::

    import convlab.core as cc
    cc.conv1d([1, 2, 3, 0, -1], [1, -1])

Modules
-------
conv1d     1-D convolution / cross-correlation and its weight Jacobian.
conv1d_geometry  output sizes, padding, where each tap lands, padded signals.
signals    1-D signal and kernel generators used by the Signals & Kernels lab.
datasets   the rising/falling ("up/down") data set of the notebook.
training   Trainer, and (re-exported) the pieces it uses:
  tap_model          the k-tap model: predictions, loss, exact gradients, gradient check.
  quadratic_loss     the loss as a quadratic form: loss surface, least-squares optimum.
  training_history   the capped, evenly thinned History of a run.
  optimizers         SGD with per-weight rates, momentum, Nesterov, Adam.
idx        reading and writing IDX files (MNIST's format), safely.
mnist      where MNIST digits come from: bundled sample, folders, caches, download
           (download re-exported from the download module).
conv2d     batched 2-D convolution of images with a kernel bank.
detectors  the notebook's line detectors, thresholds and figure for one digit.
detector_stats  the detectors over a data set: per-class statistics, masks.
validation input checks with messages a student can act on.
threads    the thread policy: BLAS pinned to one thread, explicit parallel blocks.
cnn        a small convolutional network (package): layers, Sequential, training,
           evaluation, save/load, gradient check.

Heavy modules (``scipy.signal``) are imported lazily inside functions so that
``import convlab.core`` stays cheap and the window paints fast.
"""

from ._progress import *  # noqa: F403
from .atomic import *  # noqa: F403
from .cnn import *  # noqa: F403
from .conv1d import *  # noqa: F403
from .conv1d_geometry import *  # noqa: F403
from .conv2d import *  # noqa: F403
from .conv2d_geometry import *  # noqa: F403
from .datasets import *  # noqa: F403
from .detector_stats import *  # noqa: F403
from .detectors import *  # noqa: F403
from .idx import *  # noqa: F403
from .mnist import *  # noqa: F403
from .signals import *  # noqa: F403
from .threads import *  # noqa: F403
from .training import *  # noqa: F403
from .validation import *  # noqa: F403
