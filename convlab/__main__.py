"""``python -m convlab`` starts the app."""

from convlab.app import main

raise SystemExit(main())
