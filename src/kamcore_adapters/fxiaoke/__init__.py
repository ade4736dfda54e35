"""Fenxiang Xiaoke (纷享销客) adapter: sources and sinks ``fxiaoke:PROFILE`` (install ``kamcore[fxiaoke]``)."""
