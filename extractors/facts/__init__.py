"""Facts: typed values read from extracted documents, each with its evidence.

`FACT_EXTRACTORS` (in pipeline.py) is the ordered list of per-document-kind
extractors; every value they return carries the Evidence it was read from.
"""
