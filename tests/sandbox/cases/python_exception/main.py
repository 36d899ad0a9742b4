# An uncaught exception: Python prints the traceback and exits 1 (not a signal).
raise ValueError("boom")
