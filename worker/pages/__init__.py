"""Article pages fetched by URL: the URL lists people give, and reading one page."""
