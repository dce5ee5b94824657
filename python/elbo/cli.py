"""The ``elbo`` console script of the Python package: the command line (docs/CLI.md), run
in-process by the same C++ code as the ``elbo`` program."""
import sys

from . import _core


def main() -> None:
    sys.exit(_core.run_cli(sys.argv[1:]))


if __name__ == "__main__":
    main()
