"""The HTTP routes of the web application, one module per resource."""
