"""PyTorch peer: the tutorial's fits as a hand-written mean-field ADVI loop with Adam, in
eager mode, one thread: what a deep-learning user would write.

q(w) = N(mu, softplus(rho)^2) over the 40 weights; each step draws one eps, and the loss is
  -[ (total_size / batch) * sum log Bernoulli(y | sigmoid(f(x; w))) + sum log N(w | 0, 1)
     + sum log sigma ]   (the entropy up to a constant, as PyMC's ADVI estimates it)
with mu starting at standard-normal draws (the tutorial's testval) and rho at 0.
Adam(lr=0.01). Minibatch: 50 rows drawn with replacement each step, total_size 500.
Timing: the Python loop of `steps` steps, after 100 untimed warm-up steps on a copy (eager
mode has no compilation; the warm-up only fills the allocator's caches).
"""
import math
import time

import torch
import torch.nn.functional as F

from common import accuracy_from_probs, emit, fit_record, parse_args, read_xy

SHAPES = [(2, 5), (5, 5), (5,)]
D = sum(math.prod(s) for s in SHAPES)


def unflatten(z):
    out, i = [], 0
    for s in SHAPES:
        n = math.prod(s)
        out.append(z[..., i:i + n].reshape(*z.shape[:-1], *s))
        i += n
    return out


def net_logits(x, w1, w2, w3):
    return torch.tanh(torch.tanh(x @ w1) @ w2) @ w3


class MeanFieldADVI:
    def __init__(self, seed, lr=0.01):
        g = torch.Generator().manual_seed(seed)
        self.mu = torch.randn(D, generator=g).requires_grad_()
        self.rho = torch.zeros(D, requires_grad=True)
        self.opt = torch.optim.Adam([self.mu, self.rho], lr=lr)

    def step(self, x, y, scale):
        self.opt.zero_grad(set_to_none=True)
        sigma = F.softplus(self.rho)
        z = self.mu + sigma * torch.randn(D)
        w1, w2, w3 = unflatten(z)
        logits = net_logits(x, w1, w2, w3)
        loglik = -F.binary_cross_entropy_with_logits(logits, y, reduction="sum")
        logprior = -0.5 * (z * z).sum()  # N(0, 1) up to a constant
        entropy = torch.log(sigma).sum()
        loss = -(scale * loglik + logprior + entropy)
        loss.backward()
        self.opt.step()
        return loss

    @torch.no_grad()
    def probs(self, x, draws):
        z = self.mu + F.softplus(self.rho) * torch.randn(draws, D)
        w1, w2, w3 = unflatten(z)
        h = torch.tanh(torch.bmm(x.expand(draws, *x.shape), w1))
        h = torch.tanh(torch.bmm(h, w2))
        return torch.sigmoid(torch.bmm(h, w3.unsqueeze(-1)).squeeze(-1))  # [draws, rows]


def run_fit(x, y, x_test, y_test, steps, batch, seed, draws):
    n = x.shape[0]
    scale = n / batch

    def one(advi):
        if batch == n:
            return advi.step(x, y, 1.0)
        idx = torch.randint(0, n, (batch,))
        return advi.step(x[idx], y[idx], scale)

    torch.manual_seed(seed + 100)
    warm = MeanFieldADVI(seed)
    t0 = time.perf_counter()
    for _ in range(100):
        one(warm)
    warmup = time.perf_counter() - t0

    torch.manual_seed(seed)
    advi = MeanFieldADVI(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        loss = one(advi)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    acc = accuracy_from_probs(advi.probs(x_test, draws).tolist(), y_test.tolist())
    return fit_record(steps, seconds, cpu, acc, float(loss), seconds, warmup,
                      "python loop of eager steps; 100 untimed warm-up steps on a separate fit")


def main():
    a = parse_args(__doc__, 30000, 40000)
    torch.set_num_threads(1)
    xs, ys = read_xy(a.train)
    xt, yt = read_xy(a.test)
    # No torch.from_numpy: Debian's torch 1.13 was built against NumPy 1.x, the venv has 2.x.
    x, y = torch.tensor(xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.float32)
    x_test, y_test = torch.tensor(xt, dtype=torch.float32), torch.tensor(yt, dtype=torch.float32)
    full = run_fit(x, y, x_test, y_test, a.full_steps, x.shape[0], a.seed, a.draws)
    mb = run_fit(x, y, x_test, y_test, a.minibatch_steps, 50, a.seed + 1, a.draws)
    emit({"impl": "pytorch", "version": torch.__version__, "dtype": "float32",
          "threads": torch.get_num_threads(), "optimizer": "adam(0.01)",
          "full": full, "minibatch": mb})


if __name__ == "__main__":
    main()
