"""Intake: turns a folder or .zip from outside into a Package of typed Documents.

Intake is the security boundary: nothing from a package is trusted until it has
passed the limits here.
"""
