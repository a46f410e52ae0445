import sys

from timesync.cli import main

sys.exit(main())
