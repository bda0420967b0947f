"""mmsis.impact"""
