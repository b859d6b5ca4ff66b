"""The Qt GUI and the command-line entry. Nothing here holds a business rule.

Importing this package does not load Qt; modules that need it import PySide6 themselves.
"""
