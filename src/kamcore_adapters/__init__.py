"""Adapters that connect kamcore to portfolio sources and sinks."""
