from . import main, notify
