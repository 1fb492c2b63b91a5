"""Preferences: the few user settings there are so far."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..settings import THEMES, Settings

THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings

        self.revision_minutes = QSpinBox()
        self.revision_minutes.setRange(1, 240)
        self.revision_minutes.setSuffix(" min")
        self.revision_minutes.setValue(settings.revision_minutes)
        self.revision_minutes.setToolTip(
            "While you write, a copy of the post is kept in its history this often."
        )

        self.theme = QComboBox()
        for theme in THEMES:
            self.theme.addItem(THEME_LABELS[theme], theme)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        note = QLabel("The window, the editor and the preview follow this (View > Appearance).")
        note.setEnabled(False)
        note.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Keep a revision every", self.revision_minutes)
        form.addRow("Theme", self.theme)
        form.addRow("", note)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.settings.set("autosave/revision_minutes", self.revision_minutes.value())
        self.settings.set("appearance/theme", self.theme.currentData())
        self.settings.sync()
        super().accept()
