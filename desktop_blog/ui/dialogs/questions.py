"""Small questions put to the user: rename, delete forever, a damaged library, quitting unsaved."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


def ask_title(parent: QWidget | None, current: str) -> str | None:
    """The post's new title, or None when cancelled."""
    text, ok = QInputDialog.getText(
        parent, "Rename post", "Title:", QLineEdit.EchoMode.Normal, current
    )
    return text if ok else None


def confirm_delete_forever(parent: QWidget | None, title: str, count: int = 1) -> bool:
    """Ask before deleting a post (``title``), or ``count`` selected posts, for good."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Delete forever")
    if count > 1:
        box.setText(f"Delete these {count} posts forever?")
        box.setInformativeText(
            "They leave the library. A last copy of each stays in the revision history of the "
            "library file."
        )
    else:
        box.setText(f"Delete “{title or 'Untitled'}” forever?")
        box.setInformativeText(
            "The post leaves the library. A last copy stays in the revision history of the "
            "library file."
        )
    delete = box.addButton("Delete Forever", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is delete


def ask_fresh_library(parent: QWidget | None, path: str, detail: str) -> bool:
    """The library file is damaged: start a fresh one (True) or quit (False)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("The library cannot be opened")
    box.setText("Your library file is damaged and cannot be opened.")
    box.setInformativeText(
        f"{path}\n\n"
        "Desktop Blog can start a fresh library. The damaged file is not deleted: it is "
        "renamed and kept beside the new one, so you or a recovery tool can still get at it."
    )
    box.setDetailedText(detail)
    fresh = box.addButton("Start a Fresh Library", QMessageBox.ButtonRole.AcceptRole)
    quit_ = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(quit_)
    box.exec()
    return box.clickedButton() is fresh


def ask_quit_unsaved(parent: QWidget | None, reason: str) -> bool:
    """Saving failed at quit: True to quit anyway (a rescue copy is written), False to stay."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Changes not saved")
    box.setText("Your latest changes could not be saved to the library.")
    box.setInformativeText(
        f"{reason}\n\nIf you quit now, they are written to a text file beside the library "
        "instead. Stay to keep them in the editor while you fix the problem."
    )
    quit_ = box.addButton("Quit and Keep a Copy", QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton("Stay", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(stay)
    box.exec()
    return box.clickedButton() is quit_
