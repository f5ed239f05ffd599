"""The initialization schemes, built on the engine: the variance-scaling core and its named
schemes (Xavier, Kaiming, LeCun), fans and gains, the matrix schemes (orthogonal,
delta-orthogonal, sparse, ZerO), the deterministic ones (constant, eye, dirac) and the
out-of-place twins of them all."""
