pytest_plugins = ["tests.indexes"]
