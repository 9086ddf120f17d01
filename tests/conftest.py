import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("thorough", deadline=None, max_examples=600,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.load_profile(os.environ.get("ATLASC_HYPOTHESIS", "default"))

# the compiled-program cache is tested on its own (tests/program/test_cache.py); elsewhere every
# run compiles, as the code under test is what changes
os.environ.setdefault("ATLASC_PROGRAM_CACHE", "off")
