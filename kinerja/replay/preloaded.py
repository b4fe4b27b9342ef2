"""The last module the replay's fork server imports before it forks a worker (``workers.worker_pool``
lists it after the workers' modules): importing it settles the garbage collector there, over all
the fork server imported.

Every worker is forked from the fork server with those imports. Settled in each worker instead
(``_prepare``), its first collection walked all of them (~115,000 objects) and wrote to each: 72 ms
of CPU and ~9,400 pages copied from the fork server a worker, 0.3-0.9 s on a busy machine, while
the first phase waited for it. Frozen once here, a worker's own settling walks only what it made
itself (5 ms, ~1,200 pages). Imported by the fork server only.
"""

from __future__ import annotations

from shared.wiring import settle_garbage_collector

settle_garbage_collector()
