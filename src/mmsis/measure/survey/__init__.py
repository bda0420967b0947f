"""mmsis.measure.survey"""
