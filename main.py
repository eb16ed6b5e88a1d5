"""Start ConvLab from a checkout: ``python main.py``."""

from convlab.app import main

if __name__ == "__main__":
    raise SystemExit(main())
