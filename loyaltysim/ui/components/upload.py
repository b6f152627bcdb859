"""A file input for scenario files, with a real ``<input type=file>`` (so it works by click, by
drag-and-drop onto the field, and from browser automation)."""

from __future__ import annotations

from collections.abc import Callable

import solara
from ipyvuetify.extra import FileInput


@solara.component
def ScenarioUpload(on_file: Callable[[str, bytes], None],
                   label: str = "Upload a scenario file (.toml)"):
    """Calls ``on_file(name, data)`` with the bytes of a file the user picked.

    Wired like Solara's own ``FileDrop``: the browser announces the file, then its bytes are read
    in a background thread.
    """
    file_info, set_file_info = solara.use_state(None)
    files, set_files = solara.use_state(None)
    def wire() -> None:
        if not file_info:
            return
        widget = solara.get_widget(element)
        widget.version += 1
        widget.reset_stats()
        set_files(widget.get_files())

    solara.use_effect(wire, [file_info])

    def read(cancel) -> None:
        if not files:
            return
        chosen = files[0]
        on_file(chosen["name"], chosen["file_obj"].read())

    result = solara.use_thread(read, [files], intrusive_cancel=False)
    with solara.Column(gap="0px"):
        solara.Text(label, classes=["ls-help"])
        element = FileInput.element(multiple=False, accept=".toml,text/plain",
                                    show_progress=False, on_file_info=set_file_info,
                                    attributes={"title": label})
        if result.error:
            solara.Error(f"Could not read the file: {result.error}")
