"""mmsis: an implementation-science workbench for MMS introduction and scale-up."""

__version__ = "0.1.0"
