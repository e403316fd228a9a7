"""A seeded, time-bounded mutation fuzzer for dhrbuild's assemble, check and inspect commands."""
