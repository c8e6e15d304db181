"""prescreen: the edge (CLI, settings) and the pipeline that drives intake → storage → extractors → validators."""
__version__ = "0.1.0"
