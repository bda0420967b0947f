"""mmsis.evaluate"""
