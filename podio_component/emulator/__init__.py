"""A local Podio API + OAuth server and platform API, with fault injection.

`podio/` plays Podio (its API, OAuth and the world they change), `platform/` plays the
platform (its API, a flow step's queues, a local broker); `faults.py` and `web.py` serve both.
"""

from podio_component.emulator.faults import Fault, FaultPlan, RequestLog
from podio_component.emulator.podio.model import FilterReading, Limits
from podio_component.emulator.server import Emulator

__all__ = ["Emulator", "Fault", "FaultPlan", "FilterReading", "Limits", "RequestLog"]
