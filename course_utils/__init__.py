"""course_utils: the small helper package behind the CNN lecture notebooks.

data.py    Fashion-MNIST in memory on the training device
runtime.py the training device, the cache and checkpoint folders
train.py   fit(), evaluate_accuracy(), training_throughput(), activation statistics
layers.py  from-scratch convolution, pooling and batch norm, as developed in the lecture
models/    one builder per architecture of the lecture, and summary()
plot.py    learning curves, image grids, filters, feature maps
profile.py the full / laptop / smoke switch, and a rehearsal's limits (COURSE_REHEARSAL)
"""
from .data import (DataNotFoundError, DeviceLoader, find_fashion_mnist, load_fashion_mnist,
                   text_labels)
from .layers import (BatchNorm, batch_norm, corr2d, corr2d_multi_in, corr2d_multi_in_out,
                     corr2d_multi_in_out_1x1, pool2d)
from .models import (VGG11_ARCH, BasicBlock, DenseBlock, Inception, Residual, alexnet, cifar_net,
                     count_layers, count_params, densenet, flops, googlenet, lenet, lenet_bn, nin,
                     nin_block, resnet18, summary, transition_block, vgg, vgg11, vgg_block)
from .profile import PROFILES, Rehearsal, active_profile, rehearsal, settings
from .plot import (compare_histories, layer_label, plot_activation_stats, plot_architecture,
                   plot_architectures, plot_history, show_feature_maps, show_filters, show_images)
from .train import (ActivationStats, DivergenceError, History, checkpoint_path, default_device,
                    evaluate_accuracy, finished_run, fit, init_xavier, training_throughput)

__version__ = "0.1.0"
