"""mkdocs hook: the tutorial notebooks, their README and the CHANGELOG as pages, read where they live.

``notebooks/NN_*.ipynb`` become pages at the same path (rendered by mkdocs-jupyter, not executed:
they are committed executed and nbval keeps their outputs true), ``notebooks/README.md`` becomes
``notebooks/index.md`` and ``CHANGELOG.md`` becomes ``changelog.md``. Nothing is copied into
``docs/``, so there is one copy of each in git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files: Files, config: Any) -> Files:
    """Add the notebooks, their README and the CHANGELOG to the site's files."""
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        # a real file under the repository root (mkdocs-jupyter reads it from src_dir / src_uri)
        src_uri = notebook.relative_to(ROOT).as_posix()
        files.append(
            File(src_uri, src_dir=str(ROOT), dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls)
        )
    for dest, source in {
        "notebooks/index.md": ROOT / "notebooks" / "README.md",
        "changelog.md": ROOT / "CHANGELOG.md",
    }.items():
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    return files
