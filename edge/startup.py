"""The one error every part of the daemon raises when it cannot start.

It lives apart from `edge.daemon` so that the parts the daemon builds (the vision
pipeline, later the kiosk) can raise it without importing the daemon that imports
them: that was an import cycle, and a cycle makes import order matter."""


class StartupError(Exception):
    """A component could not start (unreadable certificate, unusable outbox file,
    missing model weights …): the daemon refuses to start and says which."""
