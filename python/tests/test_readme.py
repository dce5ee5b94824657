"""The README's Python example runs as printed."""
import os
import re

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def test_readme_python_example():
    text = open(README).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    # The tutorial's network on moons: both fits classify over 90 % of the training rows
    # (measured: 94.0 % for the model, 97.6 % for the estimator).
    X, y, approx, p, x = (namespace[k] for k in ("X", "y", "approx", "p", "x"))
    assert namespace["proba"].shape == (5,)
    accuracy = ((approx.sample_node(p, size=500, more_replacements={x: X}).mean(0) > 0.5) == y).mean()
    assert accuracy > 0.9
    assert namespace["clf"].score(X, y) > 0.9
    assert "posterior" in namespace["idata"].groups()
