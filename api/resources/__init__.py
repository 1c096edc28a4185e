"""HTTP resources, one blueprint per noun."""
