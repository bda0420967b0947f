"""mmsis.measure"""
