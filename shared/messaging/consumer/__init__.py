"""The consumer runner, the one entry to consuming events (``EventConsumer``), in the steps it takes:

- ``fetch``: a batch of records, topped up while more arrives at once (``TopUp``), the fetches'
  waits at the broker by whether the topics are quiet (``FetchWaits``);
- ``decode``: each record's envelope and event, or why it is poison;
- ``inbox``: the processed-events rows that make a redelivery a no-op;
- ``failures``: retry the batch (the infrastructure failed) or dead-letter the event (it did);
- ``dead_letters``: the ``dlq.<group>`` topic and the reason headers;
- ``runner``: the loop that applies each batch in one transaction and commits its offsets after.
"""

from shared.messaging.consumer.dead_letters import DeadLetterReason
from shared.messaging.consumer.failures import EventRejected, is_transient_failure
from shared.messaging.consumer.fetch import LIVE_TOP_UP, REPLAY_TOP_UP, FetchWaits, TopUp
from shared.messaging.consumer.runner import EventConsumer, Handler

__all__ = [
    "LIVE_TOP_UP",
    "REPLAY_TOP_UP",
    "DeadLetterReason",
    "EventConsumer",
    "EventRejected",
    "FetchWaits",
    "Handler",
    "TopUp",
    "is_transient_failure",
]
