"""``python -m mvgraph`` (and ``torchrun ... -m mvgraph``): the command line,
:mod:`mvgraph.cli`."""

from mvgraph.cli import main

raise SystemExit(main())
