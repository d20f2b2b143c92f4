"""`python -m taskmock` runs the command line."""

import sys

from taskmock.cli.main import main

sys.exit(main())
