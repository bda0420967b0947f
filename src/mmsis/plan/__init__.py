"""mmsis.plan"""
