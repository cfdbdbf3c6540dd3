"""The orchestrations: one project, a packaging repository's changed packages, status."""
