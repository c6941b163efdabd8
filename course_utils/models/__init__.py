"""Model builders for the CNN lectures (Fashion-MNIST variants of the d2l book's networks).

One module per architecture, in lecture order; each holds its blocks first and its builder last:

========================  ==============================================================
``lenet.py``              LeNet-5 (03_lenet) and LeNet with batch norm (08_batch_norm)
``alexnet.py``            AlexNet (04_alexnet)
``vgg.py``                VGG blocks and VGG-11 (05_vgg)
``nin.py``                Network in Network (06_nin)
``googlenet.py``          Inception block and GoogLeNet (07_googlenet)
``resnet.py``             residual block, ResNet-18, the degradation networks (09_resnet)
``densenet.py``           dense and transition blocks, DenseNet (10_densenet)
``counting.py``           count_params, count_layers, flops, summary (every notebook)
========================  ==============================================================

Every builder takes ``in_channels`` (1 for Fashion-MNIST) and ``num_classes`` (10) as keyword
arguments and returns an ``nn.Module``, usually an ``nn.Sequential`` of named stages so that
:func:`summary` over the top-level children reads like the tables in the lecture.

All layers are created with explicit input sizes (no ``Lazy*`` modules), so parameter counts
are known right after construction, without a forward pass. A convolution (or linear layer)
followed directly by batch norm has no bias: batch norm subtracts the mean, which cancels any
bias, and its shift β takes the bias's place. This is also what torchvision does, so
``resnet18(in_channels=3, num_classes=1000)`` has exactly torchvision's parameters.

Shapes in docstrings use ``X: (batch, channels, height, width)``.
"""
from .alexnet import ALEXNET_MIN_INPUT, alexnet
from .counting import count_layers, count_params, flops, summary
from .densenet import DenseBlock, conv_block, densenet, transition_block
from .googlenet import Inception, googlenet
from .lenet import lenet, lenet_bn
from .nin import nin, nin_block
from .resnet import BasicBlock, Residual, cifar_net, resnet18
from .vgg import VGG11_ARCH, vgg, vgg11, vgg_block

__all__ = [
    "lenet",
    "lenet_bn",
    "alexnet",
    "ALEXNET_MIN_INPUT",
    "vgg_block",
    "vgg",
    "VGG11_ARCH",
    "vgg11",
    "nin_block",
    "nin",
    "Inception",
    "googlenet",
    "BasicBlock",
    "Residual",
    "resnet18",
    "cifar_net",
    "conv_block",
    "DenseBlock",
    "transition_block",
    "densenet",
    "count_params",
    "count_layers",
    "flops",
    "summary",
]
