"""mmsis.measure: indicators from survey microdata (`survey`), routine DHIS2 data
(`routine`) and field submissions (`field`).
"""

__all__ = ["field", "routine", "survey"]
