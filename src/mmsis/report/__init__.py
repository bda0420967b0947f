"""mmsis.report"""
