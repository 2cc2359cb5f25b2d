"""The web application (REST, websockets, pages) and the `hotline` command line."""
