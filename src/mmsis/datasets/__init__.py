"""mmsis.datasets"""
