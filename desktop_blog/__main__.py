"""``python -m desktop_blog`` and the ``desktop-blog`` console script.

With a subcommand (``new``, ``list``, ``publish``…) the headless CLI runs; with none (or only
``--home DIR``) the desktop application starts. Neither imports the other's modules, so the GUI
starts without argparse's subcommands and the CLI without Qt.
"""

from __future__ import annotations

import sys


def _gui_home(argv: list[str]) -> tuple[bool, str | None]:
    """(True, home) when ``argv`` asks for the GUI: nothing, or only ``--home DIR``."""
    home = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--home" and args:
            home = args.pop(0)
        elif arg.startswith("--home="):
            home = arg.split("=", 1)[1]
        else:
            return False, None
    return True, home


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    gui, home = _gui_home(args)
    if not gui:
        from desktop_blog import cli

        return cli.main(args)
    from desktop_blog.app import run_gui

    return run_gui(home)


if __name__ == "__main__":
    sys.exit(main())
