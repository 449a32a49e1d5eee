"""LeNet-5, faithfully: LeCun, Bottou, Bengio and Haffner (1998), layer by layer in PyTorch."""

from .model import LAYER_NAMES, LeNet5, ModernLeNet, format_layer_table, layer_table
from .pretrained import load_pretrained

__all__ = ["LAYER_NAMES", "LeNet5", "ModernLeNet", "format_layer_table", "layer_table", "load_pretrained"]
__version__ = "0.1.0"
