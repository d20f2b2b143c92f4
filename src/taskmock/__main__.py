"""`python -m taskmock` runs the command line."""

import sys

from taskmock._cli.main import main

sys.exit(main())
