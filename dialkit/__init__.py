"""dialkit: from a contact spreadsheet to dialed calls on an Amazon Connect outbound campaign."""

__version__ = "0.1.0"
