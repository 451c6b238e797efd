"""PyTorch models shared by the benchmark, golden generators and checks, defined once so they cannot drift.

Scripts outside tools/ put this folder on sys.path first, e.g.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MNISTModel(nn.Module):
    """The CNN of the PyTorch tutorial (MNISTModel); Xent's Models.MnistCnn mirrors it layer for layer (and parameter names).

    Layers are created in this order so that torch.manual_seed(s) before construction gives the same initial
    weights as the PyTorch tutorial's model (and as the committed golden data).
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)
