"""Run one command; write its wall time, CPU time, peak RSS and exit code as JSON to the file
given first.

    python benchmarks/_measure.py RESULT.json CMD [ARGS...]

A small, fresh process forks the command, so the peak RSS and the CPU time (user + sys) the
kernel reports for the child (wait4) are the command's own and not inflated by a large parent
(the harness holds data).
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
        {
            "wall": wall,
            "user": ru.ru_utime,
            "sys": ru.ru_stime,
            "cpu": ru.ru_utime + ru.ru_stime,
            "rss": ru.ru_maxrss * 1024,
            "rc": os.waitstatus_to_exitcode(status),
        },
        fh,
    )
