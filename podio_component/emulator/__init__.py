"""A local Podio API + OAuth server and platform Secrets API, with fault injection."""

from podio_component.emulator.faults import Fault, FaultPlan, RequestLog
from podio_component.emulator.server import Emulator
from podio_component.emulator.world import Limits

__all__ = ["Emulator", "Fault", "FaultPlan", "Limits", "RequestLog"]
