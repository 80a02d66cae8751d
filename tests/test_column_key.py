"""One way to compare column names: the phone column, a suppression list's expiry column and a ZIP
column are all found by ``dialkit._util.columns.column_key`` (no case, accents, spaces or punctuation)."""

from __future__ import annotations

import pandas as pd

from dialkit._util.columns import column_key
from dialkit._util.zones import find_postcode_column
from dialkit.contacts import find_phone_column
from dialkit.rules import SuppressionList


def test_column_key_drops_case_accents_spaces_and_punctuation() -> None:
    assert column_key(" Téléphone-No ") == "telephoneno"
    assert column_key("Code_Postal") == column_key("code postal") == "codepostal"


def test_accented_names_are_found_by_every_reader() -> None:
    assert find_phone_column(["Nom", "Téléphone"]) == "Téléphone"
    assert find_postcode_column(["name", "Zíp Code"]) == "Zíp Code"
    dnc = pd.DataFrame({"phone": ["+12125550142"], "Expirés": ["2030-01-01"]})
    entries = SuppressionList.read(dnc, name="dnc").entries
    assert entries["expires_at"].notna().all()  # the accented expiry column was recognised
