"""`python -m triwulan.prefect_server PORT`: Prefect's server, dying with the process that started it.

`triwulan serve` needs a server that runs the scheduler; started through this wrapper it gets a
parent-death signal first, so a killed `triwulan serve` leaves no server behind.
"""

from __future__ import annotations

import os
import sys

from triwulan.lifeline import die_with_parent


def main() -> None:
    die_with_parent()
    port = sys.argv[1]
    prefect = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    os.execv(sys.executable, [*prefect, "--port", port])


if __name__ == "__main__":
    main()
