"""mmsis.data.dhis2"""
