"""Engine, unit of work and migrations. Tables live in each context's store.py on one MetaData."""
