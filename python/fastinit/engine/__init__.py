"""The engine layer: what a fill writes (targets), which stream it draws from and where the
target sits in it (keys, streams, placement), what it draws (the compiled Law), and the one
call into the compiled kernels (fill.fill_law), with the thread pool and the bare Philox
bijection. Everything above it — schemes, integrations, tools — fills through fill_law."""
