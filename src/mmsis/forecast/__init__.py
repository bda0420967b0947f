"""mmsis.forecast"""
