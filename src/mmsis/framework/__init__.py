"""mmsis.framework"""
