"""mmsis.data"""
