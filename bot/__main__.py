"""`python -m bot` is the same as `apbot`."""

import sys

from bot.cli import main

sys.exit(main())
