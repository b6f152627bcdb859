"""A file input for scenario files, with a real ``<input type=file>`` (so it works by click, by
drag-and-drop onto the field, and from browser automation)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import solara
from ipyvuetify.extra import FileInput
from solara.alias import rv

from loyaltysim.ui.uploads import MAX_UPLOAD_BYTES, read_at_most


@solara.component
def ScenarioUpload(on_file: Callable[[str, bytes], None], label: str = "Upload a scenario file (.toml)"):
    """Calls ``on_file(name, data)`` with the bytes of a file the user picked.

    The widget is created once and kept (not re-created by renders), so the file it announces is
    always read from the widget that holds it; the bytes come from the browser in a background
    thread, as in Solara's own ``FileDrop``, and only up to one byte past the upload limit (the
    widget fetches a file from the browser chunk by chunk, as read).
    """
    widget = solara.use_memo(
        lambda: FileInput(
            multiple=False, accept=".toml,text/plain", show_progress=False, attributes={"title": label}
        ),
        [],
    )
    handler = solara.use_ref(on_file)
    handler.current = on_file
    problem, set_problem = solara.use_state(None)

    def watch():
        def changed(change) -> None:
            if not change["new"]:
                return
            files = widget.get_files()

            def read() -> None:
                try:  # at most one byte past the limit crosses the network: enough to refuse
                    data = read_at_most(files[0]["file_obj"], MAX_UPLOAD_BYTES + 1)
                    handler.current(files[0]["name"], data)
                    set_problem(None)
                except Exception as exc:  # the browser went away mid-read, say
                    set_problem(f"Could not read the file: {exc}")

            threading.Thread(target=read, daemon=True).start()

        widget.observe(changed, "file_info")

        def stop() -> None:
            widget.unobserve(changed, "file_info")
            widget.close()

        return stop

    solara.use_effect(watch, [])
    with solara.Column(gap="0px"):
        solara.Text(label, classes=["ls-help"])
        rv.Html(tag="div", children=[widget])
        if problem:
            solara.Error(problem)
