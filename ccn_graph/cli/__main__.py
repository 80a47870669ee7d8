"""``python -m ccn_graph.cli``: how the service starts its short-lived child commands."""

import sys

from ccn_graph.cli import main

sys.exit(main())
