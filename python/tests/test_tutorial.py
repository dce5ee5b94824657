"""The tutorial's network from Python: the example script runs and reaches 95 %."""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("sklearn")
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python", "bnn_moons.py")


def test_bnn_moons_example(tmp_path):
    pytest.importorskip("matplotlib")
    result = subprocess.run([sys.executable, EXAMPLE, "--out", str(tmp_path)], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    match = re.search(r"^Accuracy = ([0-9.]+)%", result.stdout, re.M)
    assert match, result.stdout
    assert float(match.group(1)) >= 95.0, result.stdout
    match = re.search(r"^Minibatch ADVI: accuracy = ([0-9.]+)%", result.stdout, re.M)
    assert match and float(match.group(1)) >= 95.0, result.stdout
    for figure in ("elbo", "predictions", "uncertainty_mean", "uncertainty_sd", "elbo_minibatch"):
        assert (tmp_path / f"{figure}.png").stat().st_size > 10_000, figure
