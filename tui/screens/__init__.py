"""The console's five screens, one module each; `SCREENS` maps each mode to its class."""

from tui.screens.drive import DriveScreen
from tui.screens.jobs import JobsScreen
from tui.screens.requests import RequestsScreen
from tui.screens.restore import RestoreScreen
from tui.screens.tapes import TapesScreen

SCREENS = {"drive": DriveScreen, "tapes": TapesScreen, "jobs": JobsScreen, "restore": RestoreScreen,
           "requests": RequestsScreen}
