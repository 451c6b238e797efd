#!/usr/bin/env python3
"""Golden trajectories for Xent's optimizers and LR scheduler, computed by PyTorch 1.13 (Debian's python3-torch).

Writes tools/golden/data/optim/. Run from anywhere: python3 tools/golden/gen_optim.py
Every case starts from the same three parameters (shapes (3,4), (4,), (5,9): the last one is long enough to
exercise 16- and 8-wide vector loops and a scalar tail) and applies the same 5 saved gradients, one step each.
Saved per case: the parameters after each step ({case}_p{i}.npy, shape (5, *shape)) and the final optimizer
state per buffer, flattened and concatenated over the parameters ({case}_state_{buffer}.npy).
cases.json describes each case (optimizer, keyword arguments, groups, gradients withheld, scheduler, lrs).
Single-tensor implementations (foreach=False), as Xent mirrors them.
"""
import json
import os
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "optim")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(2024)

SHAPES = [(3, 4), (4,), (5, 9)]
STEPS = 5


def save(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a))


init = [torch.randn(s) for s in SHAPES]
grads = [torch.randn((STEPS,) + s) * 0.5 for s in SHAPES]
for i in range(len(SHAPES)):
    save(f"init_p{i}", init[i])
    save(f"grads_p{i}", grads[i])

# groups: list of (param indices, per-group kwargs); skip: [step, param] pairs whose grad is None at that step.
CASES = [
    dict(name="sgd_plain", opt="SGD", kwargs=dict(lr=0.1)),
    dict(name="sgd_momentum", opt="SGD", kwargs=dict(lr=0.1, momentum=0.9)),
    dict(name="sgd_nesterov", opt="SGD", kwargs=dict(lr=0.1, momentum=0.9, nesterov=True)),
    dict(name="sgd_weight_decay", opt="SGD", kwargs=dict(lr=0.1, weight_decay=0.05)),
    dict(name="sgd_momentum_wd_skip", opt="SGD", kwargs=dict(lr=0.05, momentum=0.8, weight_decay=0.1), skip=[[2, 1], [0, 2]]),
    dict(name="sgd_dampening", opt="SGD", kwargs=dict(lr=0.1, momentum=0.9, dampening=0.3)),
    dict(name="sgd_groups", opt="SGD", kwargs=dict(lr=0.05, momentum=0.9),
         groups=[[[0], dict(lr=0.2, momentum=0.5)], [[1, 2], dict()]]),
    dict(name="adam_default", opt="Adam", kwargs=dict()),
    dict(name="adam_lr_betas", opt="Adam", kwargs=dict(lr=0.1, betas=[0.8, 0.99])),
    dict(name="adam_weight_decay_skip", opt="Adam", kwargs=dict(lr=0.05, weight_decay=0.1), skip=[[2, 1], [0, 2]]),
    dict(name="adam_amsgrad", opt="Adam", kwargs=dict(lr=0.05, amsgrad=True)),
    dict(name="adamw_default", opt="AdamW", kwargs=dict(lr=0.05)),
    dict(name="adamw_amsgrad_wd", opt="AdamW", kwargs=dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    dict(name="adadelta_default", opt="Adadelta", kwargs=dict()),
    dict(name="adadelta_options", opt="Adadelta", kwargs=dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
    dict(name="steplr_sgd", opt="SGD", kwargs=dict(lr=0.1, momentum=0.9), scheduler=dict(step_size=2, gamma=0.5)),
    dict(name="steplr_adam_groups", opt="Adam", kwargs=dict(lr=0.05),
         groups=[[[0, 2], dict()], [[1], dict(lr=0.1)]], scheduler=dict(step_size=1, gamma=0.7)),
]

for case in CASES:
    params = [p.clone().requires_grad_() for p in init]
    cls = getattr(torch.optim, case["opt"])
    kwargs = dict(case["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    groups = case.get("groups")
    if groups:
        opt = cls([dict(params=[params[i] for i in idx], **over) for idx, over in groups], foreach=False, **kwargs)
    else:
        opt = cls(params, foreach=False, **kwargs)
    sched = case.get("scheduler")
    scheduler = torch.optim.lr_scheduler.StepLR(opt, **sched) if sched else None
    skip = {tuple(s) for s in case.get("skip", [])}
    traj = [[] for _ in params]
    lrs = []
    for step in range(STEPS):
        for i, p in enumerate(params):
            p.grad = None if (step, i) in skip else grads[i][step].clone()
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        if scheduler:
            scheduler.step()
        for i, p in enumerate(params):
            traj[i].append(p.detach().clone())
    for i in range(len(params)):
        save(f"{case['name']}_p{i}", torch.stack(traj[i]))
    # Final state: buffers concatenated over parameters in index order (a parameter without state contributes zeros).
    order = [i for idx, _ in groups for i in idx] if groups else list(range(len(params)))
    names = sorted({k for st in opt.state.values() for k, v in st.items() if k != "step" and isinstance(v, torch.Tensor)})
    steps = []
    for name in names:
        parts = []
        for i in order:
            st = opt.state.get(params[i], {})
            v = st.get(name)
            parts.append((v if v is not None else torch.zeros(SHAPES[i])).reshape(-1))
        save(f"{case['name']}_state_{name}", torch.cat(parts))
    for i in order:
        st = opt.state.get(params[i], {})
        steps.append(int(st["step"]) if "step" in st else None)
    case["state_buffers"] = names
    case["state_steps"] = steps  # in optimizer index order
    case["param_order"] = order
    case["lrs"] = lrs
    if scheduler:
        case["final_lrs"] = [g["lr"] for g in opt.param_groups]

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(dict(shapes=SHAPES, steps=STEPS, torch=torch.__version__, cases=CASES), f, indent=1)
print(f"wrote {len(CASES)} cases to {OUT}")
