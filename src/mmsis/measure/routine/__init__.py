"""mmsis.measure.routine"""
