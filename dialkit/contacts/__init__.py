"""Contact lists: from a messy spreadsheet to E.164 numbers, with every row accounted for.

:func:`load_contacts` reads a contact file (CSV/TSV/TXT, Excel, Parquet, JSON
lines/array) or a DataFrame, finds the phone column, normalises every number to
E.164 with :mod:`phonenumbers`, removes duplicates and do-not-call numbers, and
returns a :class:`ContactSet`: ``accepted`` rows ready to plan, and ``rejected``
rows each with a ``reason`` code and a human ``detail`` (the pandera model: collect
every failure, stop at none).  ``len(accepted) + len(rejected) == rows_read``,
always.

Why so strict about text: a spreadsheet that stored ``2125550142`` as a number
hands back ``2125550142.0`` or ``2.12555E+09``; guessing dtypes would turn the
first into a different number and the second into a wrong one.  Every value is
read as text and the normaliser decides, flagging (``excel_float``) or rejecting
(``precision_lost``) instead of silently mangling.

Decisions worth knowing:

* **Vanity numbers** (``1-800-FLOWERS``) are rejected as ``unparseable_phone``,
  never converted: contact lists hold people's numbers, and a letter in one is far
  more often a typo (``O`` for ``0``, ``l`` for ``1``) that would dial someone else.
* **Ragged rows** in text files are kept: a short row is padded with empty
  values; a long row keeps its extra fields, joined with the file's delimiter, in
  an ``_extra`` column.  Both get the ``ragged_row`` flag (accepted) or a note in
  ``detail`` (rejected), because the phone may have shifted columns.
* **Blank lines** in text files and fully empty rows in sheets are layout, not
  contacts: they are skipped, counted in ``ContactSet.blank_rows`` and still
  counted in the ``row`` numbering so ``row`` points at the right place.
* ``row`` is the 1-based data-row number: the first row after the header is 1
  (in a spreadsheet whose header is on row 1, that is sheet row 2).
* National formats are read in ``default_region`` only: ``020 7946 0123`` in a
  US list is ``invalid_phone`` (the detail says to write it with ``+44``).

Nothing here touches the network, the clock or global state.  No exception
message, ``detail`` or repr carries a full phone number.
"""

from dialkit.contacts._columns import PHONE_COLUMN_NAMES, find_phone_column, may_hold_phones
from dialkit.contacts._contactset import ContactSet
from dialkit.contacts._io import DEFAULT_MAX_BYTES, SUPPORTED_EXTENSIONS, FileLimits, RawTable
from dialkit.contacts._load import load_contacts, read_table
from dialkit.contacts._normalise import PHONE_FLAGS, REJECTION_REASONS, PhoneResult, normalize_phone

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileLimits",
    "PHONE_COLUMN_NAMES",
    "PHONE_FLAGS",
    "REJECTION_REASONS",
    "SUPPORTED_EXTENSIONS",
    "ContactSet",
    "PhoneResult",
    "RawTable",
    "find_phone_column",
    "load_contacts",
    "may_hold_phones",
    "normalize_phone",
    "read_table",
]
