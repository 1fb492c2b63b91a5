"""The window's features beyond writing, each installed by its own module.

Each module named in ``FEATURES`` has ``install(window) -> object``: it adds its menus,
actions, docks or tabs to a built ``MainWindow`` and returns its controller, kept in
``window.features`` under the module's last name. Keeping them apart keeps
``main_window.py`` about writing, and lets each feature be tested on its own.
"""

from __future__ import annotations

import importlib
from typing import Any

# Installed in this order, after the window is built (menus exist, no library yet).
FEATURES: tuple[str, ...] = ("publishing_ui", "inbox_ui", "export_ui")


def install_all(window: Any) -> dict[str, Any]:
    """Install every feature into ``window``; returns their controllers by name."""
    installed: dict[str, Any] = {}
    for name in FEATURES:
        module = importlib.import_module(f"{__package__}.{name}")
        installed[name] = module.install(window)
    return installed
