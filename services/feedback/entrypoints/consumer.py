"""Events the feedback service consumes, and the handler of each."""

from collections.abc import Mapping

from services.feedback.service_layer import services
from shared.contracts import Event
from shared.contracts.planning import UnitUpserted
from shared.messaging.consumer import Handler
from shared.runtime import ServiceContext


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler]:
    """Planning's units tell which services citizens may rate."""
    return {UnitUpserted: services.on_unit_upserted}
