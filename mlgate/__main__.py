"""Allow `python -m mlgate`."""

from mlgate.cli import main

raise SystemExit(main())
