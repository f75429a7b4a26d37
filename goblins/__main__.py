"""``python -m goblins``: the ``goblins`` command, for an environment without its script."""

import sys

from goblins.cli import main

sys.exit(main())
