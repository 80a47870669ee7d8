"""CCN Graph: the linked-data knowledge graph of the EU cybersecurity competence ecosystem."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ccn-graph")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
