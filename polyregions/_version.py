"""The package version, in a module of its own so that any module can import it.

Importing the package ``__init__`` from inside the package (as the JSON
export and the zoo certificates need the version) would import every module.

>>> isinstance(__version__, str)
True
"""

__version__ = "0.1.0"
