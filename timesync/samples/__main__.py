import sys

from timesync.samples.generate import main

sys.exit(main())
