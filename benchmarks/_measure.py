"""Run one command; write its wall time, peak RSS and exit code as JSON to the file given first.

    python benchmarks/_measure.py RESULT.json CMD [ARGS...]

A small, fresh process forks the command, so the peak RSS the kernel reports for the child
(wait4) is the command's own and not inflated by a large parent (the harness holds data).
"""

import json
import os
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
p = subprocess.Popen(cmd)
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t0
with open(out, "w") as fh:
    json.dump(
        {"wall": wall, "rss": ru.ru_maxrss * 1024, "rc": os.waitstatus_to_exitcode(status)}, fh
    )
