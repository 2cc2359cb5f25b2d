"""The simulated carrier: Poisson or scripted callers and simulated agents on any clock."""
