"""The rules of SPEC, one small function each; `validators.engine.RULES` lists them in order."""
