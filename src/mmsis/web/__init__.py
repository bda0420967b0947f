"""mmsis.web"""
