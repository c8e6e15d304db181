"""Validators: facts -> findings -> verdict, under a versioned rule set. They never call extractors."""
