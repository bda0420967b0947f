"""mmsis.design"""
