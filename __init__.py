from . import controllers, models


def uninstall_hook(env):
    """Tell Google to stop notifying: once the module is gone, nothing answers."""
    env["google.calendar.channel"]._close_all()
