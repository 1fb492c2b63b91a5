"""Files shipped with Desktop Blog: themes, preview shell page, icons, .desktop file, welcome post.

The top-level resources/ folder is installed as the package ``desktop_blog.resources``
(see pyproject.toml). Locate a file with::

    importlib.resources.files("desktop_blog.resources") / "welcome.md"
"""
