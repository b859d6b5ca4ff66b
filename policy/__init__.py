"""Pure-Python rules of EduBridge: profiles, calendar, ID numbers, checks, planning.

Nothing here imports Qt or SQL; callers hand in plain records and get answers that
carry the clause they rest on.
"""
