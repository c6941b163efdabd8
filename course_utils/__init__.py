"""course_utils: the small helper package behind the CNN lecture notebooks.

data.py    Fashion-MNIST in memory on the training device
runtime.py the training device, the cache and checkpoint folders
train.py   fit() (the lecture's loop, and what a student needs around it), evaluate_accuracy()
measure.py training_throughput(), ActivationStats: speed and activation statistics
history.py what a run measured, epoch by epoch (History)
checkpoints.py  every run saved under its name and configuration; list_runs(), delete_runs()
precision.py    which number format training runs in on each kind of device (bf16, fp16, fp32)
shape_errors.py a shape mistake in a forward pass, explained layer by layer (ShapeError)
forward_pass.py one forward pass in eval mode on a dummy input (for summary, flops, shape errors)
layers.py  from-scratch convolution, pooling and batch norm, as developed in the lecture
models/    one builder per architecture of the lecture, and summary()
plot.py    learning curves, image grids, filters, feature maps
drawing.py pictures of networks drawn from the modules: plot_architecture(), plot_architectures()
drawing_labels.py  what a layer or block is called in those pictures: layer_label()
drawing_blocks.py  the inside of an Inception, residual or dense block, drawn for plot_architecture()
drawing_canvas.py  the pictures' boxes, arrows, text and legend, measured in inches before drawing
profile.py the full / laptop / smoke switch, and a rehearsal's limits (COURSE_REHEARSAL)
notebook_settings.py
           a notebook's settings (all three profiles), read from its settings cell without running it
"""
from .data import (DataNotFoundError, DeviceLoader, find_fashion_mnist, load_fashion_mnist,
                   text_labels)
from .drawing import plot_architecture, plot_architectures
from .drawing_labels import layer_label
from .layers import (BatchNorm, batch_norm, corr2d, corr2d_multi_in, corr2d_multi_in_out,
                     corr2d_multi_in_out_1x1, pool2d)
from .models import (VGG11_ARCH, BasicBlock, DenseBlock, Inception, Residual, alexnet, cifar_net,
                     count_layers, count_params, densenet, flops, googlenet, lenet, lenet_bn, nin,
                     nin_block, resnet18, summary, transition_block, vgg, vgg11, vgg_block)
from .notebook_settings import notebook_settings, read_settings
from .profile import PROFILES, Rehearsal, active_profile, rehearsal, settings
from .shape_errors import ShapeError
from .plot import (compare_histories, plot_activation_stats, plot_history, show_feature_maps, show_filters,
                   show_images)
from .checkpoints import checkpoint_path, delete_runs, finished_run, list_runs
from .history import History
from .precision import PRECISIONS, Precision, choose_precision
from .runtime import default_device
from .measure import ActivationStats, training_throughput
from .train import DivergenceError, TrainingStopped, evaluate_accuracy, fit, init_xavier

__version__ = "0.1.0"
