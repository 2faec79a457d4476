"""``python -m detectra ...`` is the ``detectra`` command."""
import sys

from detectra.cli import main

if __name__ == "__main__":
    sys.exit(main())
