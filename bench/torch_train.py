"""PyTorch side of `npm run bench -- train`: the same three networks as src/model/architectures.ts
(conv 3x3 'same', max-pool 2, dense; Adam; label-smoothed cross-entropy) and the same kernels on the
same shapes, on one thread. It is a worker: bench/train.bench.ts starts it once, pinned to the same
core as itself, and sends one JSON request per line on stdin; each answer is one JSON line on stdout.
So both engines run in the same rounds on the same core, and their ratio survives a shared machine.

Requests:
  {"op": "train", "arch": "fast", "batch": 128, "steps": 20}  -> {"ms": [per-step wall ms, ...]}
  {"op": "kernel", "kernel": {...one case of bench/train.bench.ts...}, "runs": 5} -> {"ms": median}
  {"op": "quit"}
"""

import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)


def build(arch: str) -> nn.Module:
    layers: list = []
    cin = 3

    def conv(cout: int, bn: bool) -> None:
        nonlocal cin
        layers.append(nn.Conv2d(cin, cout, 3, padding=1, bias=not bn))
        if bn:
            layers.append(nn.BatchNorm2d(cout, momentum=0.1, eps=1e-3))
        layers.append(nn.ReLU())
        cin = cout

    def pool() -> None:
        layers.append(nn.MaxPool2d(2, 2))

    if arch == "fast":
        conv(16, False), pool(), conv(32, False), pool()
        hidden, flat = 128, 32 * 8 * 8
    else:
        bn = arch == "bn"
        conv(32, bn), pool(), conv(64, bn), pool(), conv(128, bn), pool()
        hidden, flat = 256, 128 * 4 * 4
    layers += [nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, 10)]
    return nn.Sequential(*layers)


def train(arch: str, batch: int, steps: int) -> list:
    model = build(arch)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    # The pixels arrive as uint8 like ours and are converted per batch (normalised, flipped), so
    # both sides pay for the batch conversion.
    data = torch.randint(0, 256, (batch * 4, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (batch * 4,))
    mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.247, 0.2435, 0.2616]).view(1, 3, 1, 1) * 255
    times = []
    for step in range(steps + 2):
        start = time.perf_counter()
        lo = (step % 4) * batch
        x = (data[lo : lo + batch].float() - mean) / std
        x[: batch // 2] = x[: batch // 2].flip(3)
        y = labels[lo : lo + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
        if step >= 2:
            times.append((time.perf_counter() - start) * 1000)
    return times


def median(values: list) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def time_ms(fn, runs: int) -> float:
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return median(times)


def nchw(shape: list) -> torch.Tensor:
    """A tensor for an NHWC shape of ours, laid out as PyTorch's convolutions want it (NCHW)."""
    n, h, w, c = shape
    return torch.randn(n, c, h, w)


def kernel_fn(case: dict):
    """The PyTorch op doing what one of our kernels does, on the same shapes, or None."""
    kind = case["kind"]
    if kind in ("conv", "convDx", "convDw"):
        x = nchw(case["x"])
        kh, kw, cin, cout = case["w"]
        w = torch.randn(cout, cin, kh, kw)
        b = torch.randn(cout)
        stride, pad = case["stride"], case["pad"]
        padding = kh // 2 if pad == "same" else 0
        y = F.conv2d(x, w, b, stride, padding)
        dy = torch.randn_like(y)
        if kind == "conv":
            return lambda: F.relu(F.conv2d(x, w, b, stride, padding))
        mask = [kind == "convDx", kind == "convDw", False]
        conv_backward = torch.ops.aten.convolution_backward
        return lambda: conv_backward(dy, x, w, None, [stride, stride], [padding, padding], [1, 1], False, [0, 0], 1, mask)
    if kind in ("maxPool", "maxPoolGrad"):
        x = nchw(case["x"])
        if kind == "maxPool":
            return lambda: F.max_pool2d(x, 2, 2)
        y, indices = F.max_pool2d(x, 2, 2, return_indices=True)
        dy = torch.randn_like(y)
        return lambda: torch.ops.aten.max_pool2d_with_indices_backward(dy, x, [2, 2], [2, 2], [0, 0], [1, 1], False, indices)
    if kind in ("dense", "denseDx", "denseDw"):
        m, k, n = case["m"], case["k"], case["n"]
        a, w, b, dy = torch.randn(m, k), torch.randn(n, k), torch.randn(n), torch.randn(m, n)
        if kind == "dense":
            return lambda: F.linear(a, w, b)
        if kind == "denseDx":
            return lambda: dy.mm(w)
        return lambda: dy.t().mm(a)
    if kind == "reluBiasGrad":
        y = F.relu(nchw(case["x"]))
        dy = torch.randn_like(y)

        def relu_bias_grad() -> tuple:
            g = torch.ops.aten.threshold_backward(dy, y, 0)
            return g, g.sum((0, 2, 3))

        return relu_bias_grad
    if kind == "batchNorm":
        x = nchw(case["x"]).requires_grad_(True)
        c = x.shape[1]
        gamma, beta = torch.randn(c).requires_grad_(True), torch.randn(c).requires_grad_(True)
        rm, rv = torch.zeros(c), torch.ones(c)
        dy = torch.randn_like(x)

        def forward_backward() -> tuple:
            y = F.batch_norm(x, rm, rv, gamma, beta, True, 0.1, 1e-3)
            return torch.autograd.grad(y, [x, gamma, beta], dy)

        return forward_backward
    if kind == "adam":
        p = torch.randn(case["params"], requires_grad=True)
        p.grad = torch.randn(case["params"])
        optimizer = torch.optim.Adam([p], lr=0.001)

        def step() -> None:
            optimizer.step()

        return step
    if kind == "batch":
        n = case["n"]
        data = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8)
        mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1) * 255
        std = torch.tensor([0.247, 0.2435, 0.2616]).view(1, 3, 1, 1) * 255

        def convert() -> torch.Tensor:
            x = (data.float() - mean) / std
            x[: n // 2] = x[: n // 2].flip(3)
            return x

        return convert
    return None


def blas() -> str:
    """The BLAS library PyTorch's dense layers call (Debian's python3-torch links whichever
    libblas.so.3 the system's alternatives select: the reference one is ~50x slower)."""
    torch.zeros(2, 2).mm(torch.zeros(2, 2))
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(paths)) or "built in"


def main() -> None:
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "quit":
            break
        with torch.no_grad() if op == "kernel" and request["kernel"]["kind"] != "batchNorm" else torch.enable_grad():
            if op == "train":
                answer = {"ms": train(request["arch"], request["batch"], request["steps"])}
            elif op == "kernel":
                fn = kernel_fn(request["kernel"])
                answer = {"ms": None if fn is None else time_ms(fn, request.get("runs", 5))}
            else:
                answer = {"error": f"unknown op {op}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
