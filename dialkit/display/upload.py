"""Your own contact list in a notebook, without typing a path: a file-upload widget that loads it.

:class:`ContactUpload` shows an upload button (CSV, Excel, Parquet, JSON lines),
the phone column (blank: found by name, as :func:`dialkit.load_contacts` does)
and the default region, and a Load button.  The uploaded bytes are written to a
private temporary file (``0600``: a contact list is personal data), loaded with
:func:`dialkit.load_contacts` like a path would be, and the file is deleted
again.  The result is ``.contacts``; what was assumed is printed in the widget
(:meth:`dialkit.ContactSet.how_read`).  A problem with the file is shown as the
one-line message dialkit gives, never as a traceback.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

import ipywidgets as w

from dialkit._util.files import open_private
from dialkit.exceptions import DialkitError
from dialkit.masking import mask_text

__all__ = ["ACCEPTED_SUFFIXES", "ContactUpload"]

#: The file types the upload button offers (what load_contacts reads).
ACCEPTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".parquet", ".jsonl", ".json", ".gz")


def _uploaded(value: Any) -> tuple[str, bytes] | None:
    """``(file name, bytes)`` of the first uploaded file (ipywidgets 8's tuple of dicts), or None."""
    items = list(value.values()) if isinstance(value, dict) else list(value or ())
    if not items:
        return None
    first = items[0]
    name = str(first.get("name") or first.get("metadata", {}).get("name") or "upload.csv")
    content = first.get("content")
    data = content.tobytes() if isinstance(content, memoryview) else bytes(content or b"")
    return name, data


class ContactUpload(w.VBox):
    """Upload a contact list and load it (see the module docstring).

    Args:
        default_region: the region assumed for numbers without a +country code (default US).
        suppress: a do-not-call list (path) applied to the uploaded list, as ``suppress=`` of
            :func:`dialkit.load_contacts`.
        load_kwargs: more keyword arguments for :func:`dialkit.load_contacts`.
    """

    def __init__(self, *, default_region: str = "US", suppress: Any = None, **load_kwargs: Any) -> None:
        self.suppress = suppress
        self.load_kwargs = dict(load_kwargs)
        self.contacts: Any = None  #: the ContactSet of the last load (None until a file is loaded)
        self.file_upload = w.FileUpload(accept=",".join(ACCEPTED_SUFFIXES), multiple=False, description="Upload list")
        self.phone_column = w.Text(value="", placeholder="found by name", description="phone column")
        self.default_region = w.Text(value=default_region, description="region", layout=w.Layout(width="12em"))
        self.load_button = w.Button(description="Load", icon="upload", button_style="primary")
        self.message = w.HTML(
            "<span>Choose a file (CSV, Excel, Parquet, JSON lines), then press Load. Nothing leaves this machine.</span>"
        )
        self.load_button.on_click(lambda _b: self.load())
        super().__init__(
            children=[
                w.HBox([self.file_upload, self.phone_column, self.default_region, self.load_button]),
                self.message,
            ]
        )

    def load(self) -> Any:
        """Load the uploaded file; returns the ContactSet (also ``.contacts``), or None with the reason shown."""
        from dialkit.contacts import load_contacts

        got = _uploaded(self.file_upload.value)
        if got is None:
            self.message.value = "<span>No file uploaded yet: choose one with Upload list, then press Load.</span>"
            return None
        name, data = got
        suffix = "".join(Path(name).suffixes[-2:]) or ".csv"
        folder = tempfile.mkdtemp(prefix="dialkit-upload-")
        path = Path(folder) / f"upload{suffix}"
        try:
            with open_private(path, "wb") as fh:
                fh.write(data)
            contacts = load_contacts(
                path,
                phone_column=self.phone_column.value.strip() or None,
                default_region=self.default_region.value.strip() or "US",
                suppress=self.suppress,
                **self.load_kwargs,
            )
        except (DialkitError, ValueError, OSError) as exc:
            self.contacts = None
            self.message.value = f"<span style='color:#B23A00'>Not loaded: {html.escape(mask_text(str(exc)))}</span>"
            return None
        finally:
            for leftover in (path, Path(folder)):
                try:
                    os.rmdir(leftover) if leftover.is_dir() else os.unlink(leftover)
                except OSError:
                    pass
        self.contacts = contacts
        text = contacts.how_read().replace("upload" + suffix, name)
        self.message.value = "<br>".join(html.escape(mask_text(line)) for line in text.split("\n"))
        return contacts
