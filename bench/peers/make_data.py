"""The tutorial's data: make_moons(n_samples=1000, noise=0.2), standardised (sklearn's
scale, as the tutorial does), split half/half with train_test_split(test_size=0.5).
Writes train.csv and test.csv (columns x1, x2, y) into the given folder; every peer and
elbo's timing program read these files, so all fit the same 500 points."""
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import scale


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    x, y = make_moons(n_samples=1000, noise=0.2, random_state=0)
    x = scale(x).astype(np.float32)
    y = y.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.5, random_state=0)
    for name, xs, ys in (("train", x_train, y_train), ("test", x_test, y_test)):
        with open(out / f"{name}.csv", "w") as f:
            f.write("x1,x2,y\n")
            for (a, b), c in zip(xs, ys):
                f.write(f"{float(a)!r},{float(b)!r},{int(c)}\n")
    print(f"wrote {out}/train.csv ({len(y_train)} rows) and {out}/test.csv ({len(y_test)} rows)")


if __name__ == "__main__":
    main()
