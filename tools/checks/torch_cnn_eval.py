"""Manual check (not part of the test suite): PyTorch trains the PyTorch tutorial's MNISTModel briefly, saves its plain
state dict as safetensors, and prints its own test accuracy and mean cross-entropy; then run
  xent eval --checkpoint /tmp/torch_cnn.safetensors --json
and compare. Needs Debian's python3-torch and the dataset-fashion-mnist package."""
import gzip, os, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import safetensors_py  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from torch_models import MNISTModel  # noqa: E402

root = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/torch_cnn.safetensors"
batches = int(sys.argv[3]) if len(sys.argv) > 3 else 100


def idx(name):
    path = os.path.join(root, name)
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if os.path.exists(path + ".gz") else path, "rb") as f:
        raw = f.read()
    nd = raw[3]
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def prep(x):
    return ((torch.from_numpy(x.copy()).float() / 255.0 - 0.1307) / 0.3081).unsqueeze(1)


torch.manual_seed(0)
xtr, ytr = prep(idx("train-images-idx3-ubyte")), torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
xte, yte = prep(idx("t10k-images-idx3-ubyte")), torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64))
model = MNISTModel()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
perm = torch.randperm(len(ytr))
model.train()
for b in range(batches):
    i = perm[b * 64:(b + 1) * 64]
    opt.zero_grad()
    loss = F.cross_entropy(model(xtr[i]), ytr[i])
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    logits = torch.cat([model(xte[i:i + 1000]) for i in range(0, len(yte), 1000)])
correct = (logits.argmax(1) == yte).sum().item()
ce = F.cross_entropy(logits.double(), yte).item()
safetensors_py.save({k: v for k, v in model.state_dict().items()}, out)
print(f"pytorch: accuracy {correct / len(yte):.4f} correct {correct} total {len(yte)} mean_ce {ce:.6f} -> {out}")
