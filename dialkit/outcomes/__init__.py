"""After the dial: contact records, dispositions, metrics, experiments and the audit of what was sent.

``records`` reads and joins contact records, ``dispositions`` says what happened
to the person and what a redial may do, ``metrics`` turns both into rates with
intervals, ``experiments`` compares arms, ``audit`` shows per request when and
under which rules it went out.
"""

from dialkit._util.lazy import submodule_getattr

__all__: list[str] = []


__getattr__ = submodule_getattr(__name__)
