"""Desktop Blog: a desktop application for people who write a blog."""

__version__ = "0.1.0"
