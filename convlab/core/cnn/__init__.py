"""A small, exact, fast convolutional network in numpy: where learned and hand-made kernels meet.

Layers with PyTorch's meanings and layouts (:mod:`.layers`), a
:class:`Sequential` model with parameters by name and a JSON-safe architecture
(:mod:`.model`), softmax cross-entropy (:mod:`.losses`), seeded initialisation
including the notebook's line detectors (:mod:`.init`), a resumable
mini-batch :class:`CNNTrainer` (:mod:`.training`), evaluation (:mod:`.evaluation`),
``.npz`` + JSON files (:mod:`.io`) and a finite-difference gradient check
(:mod:`.gradcheck`). The optimizers are :mod:`convlab.core.optimizers`'
(:class:`~convlab.core.OptimizerGroup` applies them to every parameter array).

Examples
--------
>>> import convlab.core as cc
>>> net = cc.build_network(cc.CNN_PRESETS["A-frozen"], seed=0)
>>> trainer = cc.CNNTrainer(net, cc.load_mnist(), batch_size=64, learning_rate=0.05)
>>> metrics = trainer.run_epoch()
>>> metrics["test_accuracy"] > 0.6          # 1,000 digits once: about 2 in 3 right
True
"""

from .compare import *  # noqa: F403
from .compare import __all__ as _compare
from .evaluation import *  # noqa: F403
from .evaluation import __all__ as _evaluation
from .gradcheck import *  # noqa: F403
from .gradcheck import __all__ as _gradcheck
from .init import *  # noqa: F403
from .init import __all__ as _init
from .io import *  # noqa: F403
from .io import __all__ as _io
from .layers import *  # noqa: F403
from .layers import __all__ as _layers
from .losses import *  # noqa: F403
from .losses import __all__ as _losses
from .model import *  # noqa: F403
from .model import __all__ as _model
from .training import *  # noqa: F403
from .training import __all__ as _training

__all__ = [*_compare, *_evaluation, *_gradcheck, *_init, *_io, *_layers, *_losses, *_model,
           *_training]
