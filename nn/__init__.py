"""chainrule's neural-network layer: modules, losses, optimizers and training on either backend."""

from . import data, losses, optim, presets
from .layers import Layer, Neuron
from .losses import softmax
from .mlp import MLP
from .module import Module, load
from .optim import SGD, Adagrad, Adam, Optimizer, RMSprop
from .perceptron import Perceptron, PerceptronResult
from .recorder import Recorder, Recording
from .tensor_layers import Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .training import History, StopTraining, fit, predict

__all__ = [
    "MLP",
    "SGD",
    "Adagrad",
    "Adam",
    "History",
    "Layer",
    "Linear",
    "Module",
    "Neuron",
    "Optimizer",
    "Perceptron",
    "PerceptronResult",
    "RMSprop",
    "ReLU",
    "Recorder",
    "Recording",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StopTraining",
    "Tanh",
    "data",
    "fit",
    "load",
    "losses",
    "optim",
    "predict",
    "presets",
    "softmax",
]
