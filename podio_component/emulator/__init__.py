"""A local Podio API + OAuth server and platform API, with fault injection."""

from podio_component.emulator.faults import Fault, FaultPlan, RequestLog
from podio_component.emulator.model import Limits
from podio_component.emulator.server import Emulator

__all__ = ["Emulator", "Fault", "FaultPlan", "Limits", "RequestLog"]
