"""The last module the replay's fork server imports before it forks a worker (``workers.worker_pool``
lists it after the workers' modules): importing it freezes, there, all the fork server imported.

Every worker is forked from the fork server with those imports. Settled in each worker instead
(``_prepare``), its first collection walked all of them (~115,000 objects) and wrote to each: 72 ms
of CPU and ~9,400 pages copied from the fork server a worker, 0.3-0.9 s on a busy machine, while
the first phase waited for it. Frozen once here, a worker's own settling walks only what it made
itself (5 ms, ~1,200 pages). Imported by the fork server only.

Frozen without a full collection first (``settle_garbage_collector`` collects, then freezes): the
collection walked every object to free ~26 (cycles the imports left), ~80 ms of the fork server's
CPU while the replay waited for its workers; those few stay, frozen, for the process's life. Each
worker still settles the collector itself (``_prepare``): its thresholds and pause timing.
"""

from __future__ import annotations

import gc

gc.freeze()
